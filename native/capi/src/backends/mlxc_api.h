// The mlx-c functions the mlx backend calls, declared here (their signatures
// are those of mlx-c's public headers) and resolved with dlsym from a libmlxc
// loaded at run time, so the engine builds and runs without MLX.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mlxc::mlx {

// mlx-c's handle types: one opaque pointer each, passed by value.
struct array { void* ctx; };
struct stream { void* ctx; };
struct device { void* ctx; };
struct string { void* ctx; };
struct vector_array { void* ctx; };
struct closure { void* ctx; };

// mlx-c's dtype enumeration, in its order.
enum dtype : int { BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FLOAT16, FLOAT32, FLOAT64, BFLOAT16, COMPLEX64 };
enum device_type : int { CPU, GPU };
struct optional_int { int value; bool has_value; };
struct optional_float { float value; bool has_value; };
struct optional_dtype { dtype value; bool has_value; };

using error_handler = void (*)(const char* msg, void* data);

// Signatures shared by many ops, resolved by an op's name ("mlx_" + name).
using unary_fn = int (*)(array*, array, stream);
using binary_fn = int (*)(array*, array, array, stream);
using reduce_axes_fn = int (*)(array*, array, const int*, size_t, bool, stream);
using dev_reduce_axes_fn = int (*)(array*, array, const int*, size_t, bool, int, stream);
using arg_reduce_axis_fn = int (*)(array*, array, int, bool, stream);
using arg_reduce_all_fn = int (*)(array*, array, bool, stream);
using scan_fn = int (*)(array*, array, int, bool, bool, stream);
using axis_fn = int (*)(array*, array, int, stream);
using shape_fn = int (*)(array*, const int*, size_t, dtype, stream);
using slice_update_fn = int (*)(array*, array, array, const int*, size_t, const int*, size_t, const int*, size_t, stream);
using put_axis_fn = int (*)(array*, array, array, array, int, stream);

// Resolved when a request first needs them, so that a libmlxc without them
// still runs the other ops (a node that needs one is refused).
using fast_rms_norm_fn = int (*)(array*, array, array, float, stream);
using fast_layer_norm_fn = int (*)(array*, array, array, array, float, stream);
using fast_rope_fn = int (*)(array*, array, int, bool, optional_float, float, int, array, stream);
using fast_rope_dynamic_fn = int (*)(array*, array, int, bool, optional_float, float, array, array, stream);
using fast_sdpa_fn = int (*)(array*, array, array, array, float, const char*, array, array, stream);
using quantize_fn = int (*)(vector_array*, array, optional_int, optional_int, const char*, array, stream);
using dequantize_fn = int (*)(array*, array, array, array, optional_int, optional_int, const char*, array, optional_dtype, stream);
using item_float64_fn = int (*)(double*, array);
using partition_fn = int (*)(array*, array, int, stream);
using partition_axis_fn = int (*)(array*, array, int, int, stream);
using as_strided_fn = int (*)(array*, array, const int*, size_t, const int64_t*, size_t, size_t, stream);
using view_fn = int (*)(array*, array, dtype, stream);
using hadamard_fn = int (*)(array*, array, optional_float, stream);
using gather_mm_fn = int (*)(array*, array, array, array, array, bool, stream);
using block_masked_mm_fn = int (*)(array*, array, array, int, array, array, array, stream);
// A function of arrays MLX can differentiate: fn(&outputs, inputs, payload).
using closure_body = int (*)(vector_array*, const vector_array, void*);
using closure_new_fn = closure (*)(closure_body, void*, void (*)(void*));
using closure_free_fn = int (*)(closure);
using vjp_fn = int (*)(vector_array*, vector_array*, closure, vector_array, vector_array);
struct function_exporter { void* ctx; };
using exporter_new_fn = function_exporter (*)(const char*, closure, bool);
using exporter_free_fn = int (*)(function_exporter);
using exporter_apply_fn = int (*)(function_exporter, vector_array);
struct imported_function { void* ctx; };
using import_new_fn = imported_function (*)(const char*);
using import_free_fn = int (*)(imported_function);
using import_apply_fn = int (*)(vector_array*, imported_function, vector_array);
using quantized_matmul_fn = int (*)(array*, array, array, array, array, bool, optional_int, optional_int, const char*, stream);

// The functions resolved when the library loads; a library lacking one is
// reported unavailable (with its name).
#define MLXC_CORE_FUNCTIONS(X)                                                                  \
  X(void, mlx_set_error_handler, (error_handler, void*, void (*)(void*)))                       \
  X(int, mlx_version, (string*))                                                                \
  X(string, mlx_string_new, ())                                                                 \
  X(const char*, mlx_string_data, (string))                                                     \
  X(int, mlx_string_free, (string))                                                             \
  X(array, mlx_array_new, ())                                                                   \
  X(int, mlx_array_free, (array))                                                               \
  X(array, mlx_array_new_data, (const void*, const int*, int, dtype))                           \
  X(array, mlx_array_new_data_managed_payload, (void*, const int*, int, dtype, void*, void (*)(void*))) \
  X(array, mlx_array_new_float64, (double))                                                     \
  X(size_t, mlx_array_ndim, (array))                                                            \
  X(const int*, mlx_array_shape, (array))                                                       \
  X(dtype, mlx_array_dtype, (array))                                                            \
  X(size_t, mlx_array_nbytes, (array))                                                          \
  X(const uint8_t*, mlx_array_data_uint8, (array))                                              \
  X(int, _mlx_array_is_row_contiguous, (bool*, array))                                          \
  X(vector_array, mlx_vector_array_new, ())                                                     \
  X(int, mlx_vector_array_free, (vector_array))                                                 \
  X(int, mlx_vector_array_append_value, (vector_array, array))                                  \
  X(size_t, mlx_vector_array_size, (vector_array))                                              \
  X(int, mlx_vector_array_get, (array*, vector_array, size_t))                                  \
  X(int, mlx_eval, (vector_array))                                                              \
  X(stream, mlx_default_cpu_stream_new, ())                                                     \
  X(stream, mlx_default_gpu_stream_new, ())                                                     \
  X(int, mlx_stream_free, (stream))                                                             \
  X(device, mlx_device_new_type, (device_type, int))                                            \
  X(int, mlx_device_free, (device))                                                             \
  X(int, mlx_device_is_available, (bool*, device))                                              \
  X(int, mlx_contiguous, (array*, array, bool, stream))                                         \
  X(int, mlx_astype, (array*, array, dtype, stream))                                            \
  X(int, mlx_reshape, (array*, array, const int*, size_t, stream))                              \
  X(int, mlx_full, (array*, const int*, size_t, array, dtype, stream))                          \
  X(int, mlx_arange, (array*, double, double, double, dtype, stream))                           \
  X(int, mlx_linspace, (array*, double, double, int, dtype, stream))                            \
  X(int, mlx_eye, (array*, int, int, int, dtype, stream))                                       \
  X(int, mlx_identity, (array*, int, dtype, stream))                                            \
  X(int, mlx_tri, (array*, int, int, int, dtype, stream))                                       \
  X(int, mlx_round, (array*, array, int, stream))                                               \
  X(int, mlx_where, (array*, array, array, array, stream))                                      \
  X(int, mlx_softmax_axes, (array*, array, const int*, size_t, bool, stream))                   \
  X(int, mlx_flatten, (array*, array, int, int, stream))                                        \
  X(int, mlx_squeeze_axes, (array*, array, const int*, size_t, stream))                         \
  X(int, mlx_squeeze, (array*, array, stream))                                                  \
  X(int, mlx_expand_dims_axes, (array*, array, const int*, size_t, stream))                     \
  X(int, mlx_transpose_axes, (array*, array, const int*, size_t, stream))                       \
  X(int, mlx_conv_general, (array*, array, array, const int*, size_t, const int*, size_t, const int*, size_t, const int*, size_t, const int*, size_t, int, bool, stream)) \
  X(int, mlx_transpose, (array*, array, stream))                                                \
  X(int, mlx_broadcast_to, (array*, array, const int*, size_t, stream))                         \
  X(int, mlx_concatenate_axis, (array*, vector_array, int, stream))                             \
  X(int, mlx_stack_axis, (array*, vector_array, int, stream))                                   \
  X(int, mlx_split, (vector_array*, array, int, int, stream))                                   \
  X(int, mlx_split_sections, (vector_array*, array, const int*, size_t, int, stream))           \
  X(int, mlx_tile, (array*, array, const int*, size_t, stream))                                 \
  X(int, mlx_repeat_axis, (array*, array, int, int, stream))                                    \
  X(int, mlx_repeat, (array*, array, int, stream))                                              \
  X(int, mlx_pad, (array*, array, const int*, size_t, const int*, size_t, const int*, size_t, array, const char*, stream)) \
  X(int, mlx_slice, (array*, array, const int*, size_t, const int*, size_t, const int*, size_t, stream)) \
  X(int, mlx_take_axis, (array*, array, array, int, stream))                                    \
  X(int, mlx_take, (array*, array, array, stream))                                              \
  X(int, mlx_take_along_axis, (array*, array, array, int, stream))                              \
  X(int, mlx_sort, (array*, array, stream))                                                     \
  X(int, mlx_argsort, (array*, array, stream))                                                  \
  X(int, mlx_topk_axis, (array*, array, int, int, stream))                                      \
  X(int, mlx_topk, (array*, array, int, stream))                                                \
  X(int, mlx_random_bits, (array*, const int*, size_t, int, array, stream))

struct Api {
#define MLXC_DECLARE(ret, name, args) ret(*name) args = nullptr;
  MLXC_CORE_FUNCTIONS(MLXC_DECLARE)
#undef MLXC_DECLARE
  void* lib = nullptr;
  // Resolves a function by name (the table-driven ops); nullptr when absent.
  void* find(const std::string& name) const;
};

}  // namespace mlxc::mlx
