/* Real MLX v0.31.2's answers (through mlx-c) for the core-symbols test:
 * prints one JSON object, {"case": {"dtype", "shape", "data"}, ...}, every
 * result read as float64. Inputs are sin(i * (0.37 + k)) * 3 in float32, the
 * same formula the test feeds mlx-compat. Built and run by
 * test/core-symbols.test.ts when ../shared/mlx-runtime is present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlx/c/mlx.h"

static mlx_stream S;
static int first = 1;

static void on_error(const char* msg, void* data) {
  (void)data;
  fprintf(stderr, "mlx error: %s\n", msg);
  exit(2);
}

static mlx_array input(const int* shape, int nd, int k) {
  int n = 1;
  for (int i = 0; i < nd; i++) n *= shape[i];
  float* v = malloc(sizeof(float) * (n ? n : 1));
  for (int i = 0; i < n; i++) v[i] = (float)(sin(i * (0.37 + k)) * 3);
  mlx_array a = mlx_array_new_data(v, shape, nd, MLX_FLOAT32);
  free(v);
  return a;
}

static mlx_array ints(const int* v, int n, mlx_dtype dtype) {
  int shape[1] = {n};
  if (dtype == MLX_UINT32) {
    unsigned u[16];
    for (int i = 0; i < n; i++) u[i] = (unsigned)v[i];
    return mlx_array_new_data(u, shape, 1, dtype);
  }
  return mlx_array_new_data(v, shape, 1, dtype);
}

static const char* dtype_name(mlx_dtype d) {
  switch (d) {
    case MLX_BOOL: return "bool";
    case MLX_UINT8: return "uint8";
    case MLX_UINT16: return "uint16";
    case MLX_UINT32: return "uint32";
    case MLX_INT8: return "int8";
    case MLX_INT16: return "int16";
    case MLX_INT32: return "int32";
    case MLX_INT64: return "int64";
    case MLX_FLOAT16: return "float16";
    case MLX_FLOAT32: return "float32";
    case MLX_FLOAT64: return "float64";
    default: return "other";
  }
}

static void emit(const char* name, mlx_array r) {
  mlx_array d = mlx_array_new();
  mlx_astype(&d, r, MLX_FLOAT64, S);
  mlx_array_eval(d);
  const double* v = mlx_array_data_float64(d);
  printf("%s\"%s\": {\"dtype\": \"%s\", \"shape\": [", first ? "{\n" : ",\n", name, dtype_name(mlx_array_dtype(r)));
  first = 0;
  const int* sh = mlx_array_shape(r);
  for (size_t i = 0; i < mlx_array_ndim(r); i++) printf("%s%d", i ? ", " : "", sh[i]);
  printf("], \"data\": [");
  for (size_t i = 0; i < mlx_array_size(d); i++) printf("%s%.17g", i ? ", " : "", v[i]);
  printf("]}");
  mlx_array_free(d);
  mlx_array_free(r);
}

static void einsum(const char* name, const char* spec, int n, const int shapes[][3], const int* nds) {
  mlx_array xs[3];
  for (int i = 0; i < n; i++) xs[i] = input(shapes[i], nds[i], i);
  mlx_vector_array v = mlx_vector_array_new_data(xs, (size_t)n);
  mlx_array r = mlx_array_new();
  mlx_einsum(&r, spec, v, S);
  emit(name, r);
  mlx_vector_array_free(v);
  for (int i = 0; i < n; i++) mlx_array_free(xs[i]);
}

int main(void) {
  mlx_set_error_handler(on_error, NULL, NULL);
  S = mlx_default_cpu_stream_new();
  mlx_array r = mlx_array_new();

  { const int s[][3] = {{3, 4}, {4, 5}}; const int nd[] = {2, 2}; einsum("einsum_matmul", "ij,jk->ik", 2, s, nd); }
  { const int s[][3] = {{3, 3}}; const int nd[] = {2}; einsum("einsum_diag", "ii->i", 1, s, nd); }
  { const int s[][3] = {{2, 3, 4}, {2, 4, 2}}; const int nd[] = {3, 3}; einsum("einsum_batched", "bij,bjk->bik", 2, s, nd); }
  { const int s[][3] = {{2, 3}, {3, 4}, {4, 5}}; const int nd[] = {2, 2, 2}; einsum("einsum_chain", "ij,jk,kl->il", 3, s, nd); }
  { const int s[][3] = {{2, 3, 4}, {4, 5}}; const int nd[] = {3, 2}; einsum("einsum_ellipsis", "...ij,jk", 2, s, nd); }
  { const int s[][3] = {{3, 3, 2}, {2, 4}}; const int nd[] = {3, 2}; einsum("einsum_repeated", "iij,jk->ik", 2, s, nd); }

  { int sa[] = {2, 2}, sb[] = {3, 2}; mlx_array a = input(sa, 2, 1), b = input(sb, 2, 2); r = mlx_array_new(); mlx_kron(&r, a, b, S); emit("kron_2d", r); mlx_array_free(a); mlx_array_free(b); }
  { int sa[] = {3}, sb[] = {2, 2}; mlx_array a = input(sa, 1, 1), b = input(sb, 2, 2); r = mlx_array_new(); mlx_kron(&r, a, b, S); emit("kron_ranks", r); mlx_array_free(a); mlx_array_free(b); }

  { int s[] = {3, 4}; mlx_array a = input(s, 2, 1); int sh[] = {2};
    r = mlx_array_new(); mlx_roll(&r, a, sh, 1, S); emit("roll_flat", r);
    int sh2[] = {1, -2}, ax[] = {0, 1}; r = mlx_array_new(); mlx_roll_axes(&r, a, sh2, 2, ax, 2, S); emit("roll_axes", r);
    int sh3[] = {7}; r = mlx_array_new(); mlx_roll_axis(&r, a, sh3, 1, 0, S); emit("roll_axis", r);
    mlx_array_free(a); }

  { int s[] = {4, 3, 5}; mlx_array a = input(s, 3, 4); int all[] = {0, 1, 2}, one[] = {1}, two[] = {0, 2};
    r = mlx_array_new(); mlx_median(&r, a, all, 3, false, S); emit("median_all", r);
    r = mlx_array_new(); mlx_median(&r, a, one, 1, false, S); emit("median_axis", r);
    r = mlx_array_new(); mlx_median(&r, a, two, 2, true, S); emit("median_keepdims", r);
    mlx_array_free(a);
    int iv[] = {4, 1, 3, 2}; mlx_array b = ints(iv, 4, MLX_INT32); int z[] = {0};
    r = mlx_array_new(); mlx_median(&r, b, z, 1, false, S); emit("median_int", r); mlx_array_free(b); }

  { int s[] = {4, 8}; mlx_array a = input(s, 2, 2); mlx_optional_float none = {0, false}, half = {0.5f, true};
    r = mlx_array_new(); mlx_hadamard_transform(&r, a, none, S); emit("hadamard_default", r);
    r = mlx_array_new(); mlx_hadamard_transform(&r, a, half, S); emit("hadamard_scaled", r);
    mlx_array_free(a); }

  { int s[] = {4}; float v[] = {1.0f, -2.5f, 0.1f, 3e38f}; mlx_array a = mlx_array_new_data(v, s, 1, MLX_FLOAT32);
    r = mlx_array_new(); mlx_view(&r, a, MLX_UINT32, S); emit("view_uint32", r);
    r = mlx_array_new(); mlx_view(&r, a, MLX_INT8, S); emit("view_int8", r);
    mlx_array_free(a); }

  { int s[] = {3, 4}; mlx_array a = input(s, 2, 1); int sh[] = {3, 3}; int64_t st[] = {4, 1};
    r = mlx_array_new(); mlx_as_strided(&r, a, sh, 2, st, 2, 1, S); emit("as_strided", r); mlx_array_free(a); }

  { int sa[] = {3, 4, 5}, sb[] = {2, 5, 6}; mlx_array a = input(sa, 3, 1), b = input(sb, 3, 2);
    int li[] = {2, 0, 1, 2}, ri[] = {1, 1, 0, 0}; mlx_array l = ints(li, 4, MLX_UINT32), rr = ints(ri, 4, MLX_UINT32);
    r = mlx_array_new(); mlx_gather_mm(&r, a, b, l, rr, false, S); emit("gather_mm", r);
    mlx_array_free(a); mlx_array_free(b); mlx_array_free(l); mlx_array_free(rr); }

  { int sa[] = {70, 40}, sb[] = {40, 50}; mlx_array a = input(sa, 2, 1), b = input(sb, 2, 2);
    bool mo[6], ml[6], mr[4]; for (int i = 0; i < 6; i++) { mo[i] = (i * 7) % 3 != 0; ml[i] = (i * 7 + 1) % 3 != 0; } for (int i = 0; i < 4; i++) mr[i] = (i * 7 + 2) % 3 != 0;
    int so[] = {3, 2}, sl[] = {3, 2}, sr[] = {2, 2};
    mlx_array o = mlx_array_new_data(mo, so, 2, MLX_BOOL), lm = mlx_array_new_data(ml, sl, 2, MLX_BOOL), rm = mlx_array_new_data(mr, sr, 2, MLX_BOOL);
    r = mlx_array_new(); mlx_block_masked_mm(&r, a, b, 32, o, lm, rm, S); emit("block_masked_bool", r);
    float fo[] = {2, 1, 0, -1, 0.5f, 3}, fl[] = {0.5f, 2, -1, 0, 1, 1}, fr[] = {1, 0.25f, 3, 1};
    mlx_array fo_ = mlx_array_new_data(fo, so, 2, MLX_FLOAT32), fl_ = mlx_array_new_data(fl, sl, 2, MLX_FLOAT32), fr_ = mlx_array_new_data(fr, sr, 2, MLX_FLOAT32);
    r = mlx_array_new(); mlx_block_masked_mm(&r, a, b, 32, fo_, fl_, fr_, S); emit("block_masked_float", r);
    mlx_array_free(a); mlx_array_free(b); mlx_array_free(o); mlx_array_free(lm); mlx_array_free(rm); mlx_array_free(fo_); mlx_array_free(fl_); mlx_array_free(fr_); }

  { int s[] = {2, 12}; mlx_array a = input(s, 2, 1); int sh[] = {3, -1, 2};
    r = mlx_array_new(); mlx_unflatten(&r, a, 1, sh, 3, S); emit("unflatten", r); mlx_array_free(a); }

  { int s[] = {5, 6}; mlx_array a = input(s, 2, 1); int st[] = {1, 2}; mlx_array start = ints(st, 2, MLX_INT32); int ax[] = {0, 1}, size[] = {3, 2};
    r = mlx_array_new(); mlx_slice_dynamic(&r, a, start, ax, 2, size, 2, S); emit("slice", r);
    int su[] = {2, 2}; mlx_array u = input(su, 2, 3); int st2[] = {3, 1}; mlx_array start2 = ints(st2, 2, MLX_INT32);
    r = mlx_array_new(); mlx_slice_update_dynamic(&r, a, u, start2, ax, 2, S); emit("slice_update", r);
    mlx_array_free(a); mlx_array_free(start); mlx_array_free(u); mlx_array_free(start2); }

  { int s[] = {3, 6}; mlx_array a = input(s, 2, 2);
    r = mlx_array_new(); mlx_partition_axis(&r, a, 2, 1, S); emit("partition", r); mlx_array_free(a); }

  printf("\n}\n");
  mlx_stream_free(S);
  return 0;
}
