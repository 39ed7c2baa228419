/* Real MLX v0.31.2 (through mlx-c) on .mlxfn files, for test/export.test.ts:
 *   mlxfn-oracle export FILE  writes f(x, y) = [exp(x) * y + 1, sum(x * y, axis 0)]
 *                             traced at float32 x, y of shape [2, 3]
 *   mlxfn-oracle import FILE R C  applies the function in FILE to x, y of shape
 *                             [R, C], x[i] = sin(0.37 i) * 3, y[i] = cos(0.11 i),
 *                             and prints its outputs as JSON [{"shape", "data"}]
 * Built and run by the test when ../shared/mlx-runtime is present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlx/c/mlx.h"

static mlx_stream S;

static void on_error(const char* msg, void* data) {
  (void)data;
  fprintf(stderr, "mlx error: %s\n", msg);
  exit(2);
}

static int f(mlx_vector_array* res, const mlx_vector_array args) {
  mlx_array x = mlx_array_new(), y = mlx_array_new(), e = mlx_array_new(), p = mlx_array_new(), one = mlx_array_new_float(1.0f);
  mlx_array a = mlx_array_new(), xy = mlx_array_new(), s = mlx_array_new();
  mlx_vector_array_get(&x, args, 0);
  mlx_vector_array_get(&y, args, 1);
  mlx_exp(&e, x, S);
  mlx_multiply(&p, e, y, S);
  mlx_add(&a, p, one, S);
  mlx_multiply(&xy, x, y, S);
  mlx_sum_axis(&s, xy, 0, false, S);
  if (!res->ctx) *res = mlx_vector_array_new(); /* mlx-c hands an empty vector */
  mlx_vector_array_append_value(*res, a);
  mlx_vector_array_append_value(*res, s);
  mlx_array_free(x), mlx_array_free(y), mlx_array_free(e), mlx_array_free(p), mlx_array_free(one);
  mlx_array_free(a), mlx_array_free(xy), mlx_array_free(s);
  return 0;
}

static mlx_array filled(int rows, int cols, int cosine) {
  int n = rows * cols, shape[2] = {rows, cols};
  float* v = malloc(sizeof(float) * (n ? n : 1));
  for (int i = 0; i < n; i++) v[i] = cosine ? (float)cos(0.11 * i) : (float)(sin(0.37 * i) * 3);
  mlx_array a = mlx_array_new_data(v, shape, 2, MLX_FLOAT32);
  free(v);
  return a;
}

int main(int argc, char** argv) {
  mlx_set_error_handler(on_error, NULL, NULL);
  S = mlx_default_cpu_stream_new();
  if (argc == 3 && strcmp(argv[1], "export") == 0) {
    mlx_closure fn = mlx_closure_new_func(f);
    mlx_vector_array args = mlx_vector_array_new();
    mlx_array x = filled(2, 3, 0), y = filled(2, 3, 1);
    mlx_vector_array_append_value(args, x);
    mlx_vector_array_append_value(args, y);
    mlx_export_function(argv[2], fn, args, false);
    mlx_array_free(x), mlx_array_free(y), mlx_vector_array_free(args), mlx_closure_free(fn);
  } else if (argc == 5 && strcmp(argv[1], "import") == 0) {
    mlx_imported_function fn = mlx_imported_function_new(argv[2]);
    mlx_vector_array args = mlx_vector_array_new(), res = mlx_vector_array_new();
    mlx_array x = filled(atoi(argv[3]), atoi(argv[4]), 0), y = filled(atoi(argv[3]), atoi(argv[4]), 1);
    mlx_vector_array_append_value(args, x);
    mlx_vector_array_append_value(args, y);
    mlx_imported_function_apply(&res, fn, args);
    printf("[");
    for (size_t k = 0; k < mlx_vector_array_size(res); k++) {
      mlx_array r = mlx_array_new(), d = mlx_array_new();
      mlx_vector_array_get(&r, res, k);
      mlx_astype(&d, r, MLX_FLOAT64, S);
      mlx_array_eval(d);
      printf("%s{\"shape\": [", k ? ", " : "");
      for (size_t i = 0; i < mlx_array_ndim(d); i++) printf("%s%d", i ? ", " : "", mlx_array_shape(d)[i]);
      printf("], \"data\": [");
      const double* v = mlx_array_data_float64(d);
      for (size_t i = 0; i < mlx_array_size(d); i++) printf("%s%.17g", i ? ", " : "", v[i]);
      printf("]}");
      mlx_array_free(r), mlx_array_free(d);
    }
    printf("]\n");
    mlx_array_free(x), mlx_array_free(y), mlx_vector_array_free(args), mlx_vector_array_free(res), mlx_imported_function_free(fn);
  } else {
    fprintf(stderr, "usage: mlxfn-oracle export FILE | import FILE ROWS COLS\n");
    return 1;
  }
  mlx_stream_free(S);
  return 0;
}
