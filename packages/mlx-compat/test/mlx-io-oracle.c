/* Real MLX v0.31.2's files (through mlx-c) for the io test:
 *   save DIR   writes DIR/mlx.safetensors (one tensor per dtype MLX saves,
 *              with metadata) and DIR/mlx_<dtype>.npy, then prints what it
 *              wrote as JSON
 *   load FILE  loads a .safetensors or .npy file and prints its arrays as JSON
 * An array prints as {"dtype", "shape", "hex"}: its bytes as MLX holds them.
 * Built and run by test/io.test.ts when ../shared/mlx-runtime is present. */
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

static const char* dtype_name(mlx_dtype d) {
  static const char* names[] = {"bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
                                "int32", "int64", "float16", "float32", "float64", "bfloat16", "complex64"};
  return (int)d >= 0 && (int)d < 14 ? names[d] : "unknown";
}

static void emit(const char* name, mlx_array a, int first) {
  mlx_array_eval(a);
  printf("%s\"%s\": {\"dtype\": \"%s\", \"shape\": [", first ? "" : ", ", name, dtype_name(mlx_array_dtype(a)));
  const int* sh = mlx_array_shape(a);
  for (size_t i = 0; i < mlx_array_ndim(a); i++) printf("%s%d", i ? ", " : "", sh[i]);
  printf("], \"hex\": \"");
  const unsigned char* p = mlx_array_data_uint8(a);
  for (size_t i = 0; i < mlx_array_nbytes(a); i++) printf("%02x", p[i]);
  printf("\"}");
}

/* Values of every kind a dtype holds: signs, fractions, large and small magnitudes. */
static mlx_array sample(mlx_dtype d) {
  float v[12] = {0, 1, -2, 3.5f, -0.25f, 100, 65504, -7e-5f, 3e38f, 1e-30f, 255, 127};
  int shape[2] = {3, 4};
  mlx_array f = mlx_array_new_data(v, shape, 2, MLX_FLOAT32), out = mlx_array_new();
  mlx_astype(&out, f, d, S);
  mlx_array_free(f);
  return out;
}

static const mlx_dtype SAVED[] = {MLX_BOOL, MLX_UINT8, MLX_UINT16, MLX_UINT32, MLX_UINT64, MLX_INT8, MLX_INT16, MLX_INT32,
                                  MLX_INT64, MLX_FLOAT16, MLX_FLOAT32, MLX_BFLOAT16, MLX_COMPLEX64, MLX_FLOAT64};

static void save(const char* dir) {
  char path[4096];
  mlx_map_string_to_array m = mlx_map_string_to_array_new();
  mlx_map_string_to_string meta = mlx_map_string_to_string_new();
  mlx_map_string_to_string_insert(meta, "by", "mlx 0.31.2");
  printf("{");
  for (size_t i = 0; i < sizeof SAVED / sizeof SAVED[0]; i++) {
    mlx_array a = sample(SAVED[i]);
    char name[64];
    snprintf(name, sizeof name, "t_%s", dtype_name(SAVED[i]));
    /* float64 is saved as .npy only when safetensors refuses it */
    if (SAVED[i] != MLX_FLOAT64) mlx_map_string_to_array_insert(m, name, a);
    snprintf(path, sizeof path, "%s/mlx_%s.npy", dir, dtype_name(SAVED[i]));
    mlx_save(path, a);
    emit(name, a, i == 0);
    mlx_array_free(a);
  }
  snprintf(path, sizeof path, "%s/mlx.safetensors", dir);
  mlx_save_safetensors(path, m, meta);
  printf("}\n");
}

static int ends_with(const char* s, const char* tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n >= t && strcmp(s + n - t, tail) == 0;
}

static void load(const char* file) {
  printf("{");
  if (ends_with(file, ".npy")) {
    mlx_array a = mlx_array_new();
    mlx_load(&a, file, S);
    emit("array", a, 1);
  } else {
    mlx_map_string_to_array m = mlx_map_string_to_array_new();
    mlx_map_string_to_string meta = mlx_map_string_to_string_new();
    mlx_load_safetensors(&m, &meta, file, S);
    mlx_map_string_to_array_iterator it = mlx_map_string_to_array_iterator_new(m);
    const char* key;
    mlx_array a = mlx_array_new();
    int first = 1;
    while (mlx_map_string_to_array_iterator_next(&key, &a, it) == 0) {
      emit(key, a, first);
      first = 0;
    }
    mlx_map_string_to_string_iterator mi = mlx_map_string_to_string_iterator_new(meta);
    const char* value;
    printf("%s\"__metadata__\": {", first ? "" : ", ");
    first = 1;
    while (mlx_map_string_to_string_iterator_next(&key, &value, mi) == 0) {
      printf("%s\"%s\": \"%s\"", first ? "" : ", ", key, value);
      first = 0;
    }
    printf("}");
  }
  printf("}\n");
}

int main(int argc, char** argv) {
  mlx_set_error_handler(on_error, NULL, NULL);
  S = mlx_default_cpu_stream_new();
  if (argc == 3 && strcmp(argv[1], "save") == 0) save(argv[2]);
  else if (argc == 3 && strcmp(argv[1], "load") == 0) load(argv[2]);
  else {
    fprintf(stderr, "usage: mlx-io-oracle save DIR | load FILE\n");
    return 1;
  }
  return 0;
}
