/*
 * mlxcompat.h: the C ABI of the mlx-compat engine.
 *
 * A caller sends a graph of MLX-named ops as a JSON request and gets JSON
 * back (and, through mlxcompat_eval, binary buffers). The request, response
 * and capabilities formats are JSON Schemas in docs/schemas/ (version 1).
 * A session can keep a request's graph as a named plan ("define_plan") and
 * run it again with new inputs only ("run_plan"), without re-sending it.
 * A run_plan request may add "reply": "compact" (default "full", the usual
 * response) when every output it returns is a handle or a buffer: an ok
 * response is then {"compact": {"outputs": [...], "types": [...], "op_count",
 * "fused_groups", "elapsed_ms"}, "schema_version": 1, "status": "ok"}, each
 * output, in order, its handle (a string) or its buffer index (a number);
 * "types" repeats their dtypes and shapes, which the caller knows from the
 * plan, as numbers (mlxcompat_eval_compact says how). Errors and refusals are as in
 * the full form; a compact reply of an inline or base64 output is an
 * "invalid_request" error at /reply, another value of "reply" an
 * "invalid_attr" error there, and other requests do not take the field.
 *
 * Conventions for every function below:
 *  - Errors never abort the process. Bad requests come back as a response
 *    with "status": "error" (code, JSON-pointer path, message); valid
 *    requests the engine will not run come back "status": "refused" (code,
 *    scope, subject, detail). Functions that cannot return a response
 *    return NULL or a negative number only where documented.
 *  - Ownership: strings and results returned by this library belong to the
 *    caller and are freed with the free function named in each entry, and
 *    with nothing else. Pointers passed in are only read during the call.
 *  - Threads: all functions may be called from any thread. Calls on one
 *    session are serialized by the session; different sessions run in
 *    parallel. A session must not be freed while a call on it is running.
 *    Jobs (mlxcompat_job_new) run in the order they were queued on their
 *    session, on the threads that wait for them: a caller that must not
 *    block (an event loop) waits for a job on a thread of its own while it
 *    goes on, and may still join the job from its own thread.
 *    The engine computes on a pool of worker threads that poll for up to
 *    50 ms after work (yielding the core after the first millisecond) and
 *    then sleep (MLXCOMPAT_NUM_THREADS sets their number). Jobs waited for
 *    with mlxcompat_job_wait_background compute at a lower scheduling
 *    priority, on a second pool of the same size (see there).
 *    Products run in a private, statically linked, single-threaded OpenBLAS,
 *    split over that pool; an OpenBLAS the host process loads is left as it
 *    is (its thread count, and the OPENBLAS_NUM_THREADS it reads).
 *
 * Backends: a request runs on the "native" backend (the engine's own
 * kernels, the default) or the "mlx" backend (real MLX through mlx-c),
 * chosen by the request's top-level "backend", else by the session's
 * (mlxcompat_session_new's "backend" option, else the environment variable
 * MLXCOMPAT_BACKEND, else "native"). Reading, validation, limits, resident
 * handles and plans are the same on both. The mlx backend loads libmlxc at
 * run time (dlmopen into a link namespace of its own, once per process, on
 * first use, so another copy of MLX in the process cannot share its
 * symbols) from the path in MLXCOMPAT_MLXC_LIBRARY, else "libmlxc.so" on
 * the library search path; the engine never needs it to build or run. When it cannot be loaded, requests
 * for it are refused ("unsupported_backend", the detail says why) and
 * nothing else changes; capabilities say whether it is available, its MLX
 * version, and otherwise the reason. The backend installs its own mlx-c
 * error handler (mlx-c's default ends the process), so a failure inside
 * MLX comes back as an "error" response with code "mlx_error" and MLX's
 * message. MLX's graph building is not thread-safe: requests on the mlx
 * backend run one at a time in the process (native requests stay parallel).
 * Its outputs are MLX's memory, handed over without a copy and freed with
 * the result, the handle or the session that holds them. A "device": "gpu"
 * request reaches MLX's GPU where libmlxc was built with Metal or CUDA, and
 * is refused ("unsupported_device", with the reason) elsewhere; the native
 * backend has the cpu only.
 *  - Hostile input: any bytes in get a typed answer. Every size computed from
 *    a request (shapes, pads, repeats, reps, reshapes, slices) is checked;
 *    one that overflows is refused as "resource_limit" naming the node's
 *    attribute. Limits are checked before anything is allocated; "max_bytes"
 *    counts the most bytes of arrays alive at once as the request runs (each
 *    value is freed after its last reader unless it is an output) and its
 *    encoded outputs: an inline value counts 64 bytes, base64 four times the
 *    array's bytes. A kernel's own temporaries are not counted. The default
 *    "max_bytes" is an eighth of the machine's memory (or of a container's
 *    limit). An allocation that fails anyway is refused as "resource_limit".
 *  - Values: integer arithmetic wraps (two's complement), as MLX's does. A
 *    float converted to an integer dtype (astype, inline data, a pad value)
 *    truncates toward zero; NaN, infinities and values out of range give
 *    what MLX's CPU conversion gives: INT_MIN for int32 and int64, the low
 *    bits of that int32 conversion for 8- and 16-bit types, the low 32 bits
 *    of the int64 one for uint32, and for uint64 values of 2^63 and more
 *    are reduced by 2^63 first (NaN gives 2^63, +inf 0).
 *  - Bool inputs are validated, not normalized: a bool buffer or base64
 *    input holding a byte other than 0 or 1 is an "invalid_data" error at
 *    that input. Inline bool values may be numbers: nonzero (and NaN) is true.
 */

/*
 * Floating-point math. The transcendental ops run in vector registers
 * (AVX-512F, else AVX2 with FMA and F16C, chosen from the CPU at run time)
 * through SLEEF's 1-ulp functions, which the library loads at run time
 * (libsleef.so.3 beside the library, else the system's; Debian's libsleef3).
 * float32 power is the library's own, in double lanes (its log2 and exp2,
 * 2^-34 relative or better: the float it rounds to is the correctly rounded
 * one except next to a tie; power keeps C's special values, and a scalar
 * exponent of 2, 0.5 or -1 takes x x, sqrt x or 1/x, the correctly rounded
 * result); float32 log, log2, log10, log1p and expm1 are its own in float
 * lanes (log with a float tail, about 2^-33 relative: the correctly rounded
 * float but within about 2^-9 ulp of a tie; log2 and log10 with only the
 * product by log_b e split exactly, 0.56 and 0.59 ulp; log1p on the inverse
 * hyperbolics' inline log and expm1 with a float tail, within 0.6 ulp; on
 * AVX2 float32 exp is the library's own too); float32 tan below 2^12 is its
 * own in double lanes (one reduction by pi/2 and one rational, rounded
 * once: within 0.74 ulp there); and float32 sin and cos (below 2^12), erf,
 * erfinv, sinh, cosh, tanh, sigmoid, arcsin, arccos, arctan, arctan2,
 * arcsinh, arccosh, arctanh and logaddexp its own polynomials in float
 * lanes (sin and cos on one reduction by pi/2, sinh, cosh, tanh, sigmoid
 * and logaddexp on an inline exp, the inverse hyperbolics and erfinv on an
 * inline log; logaddexp's log1p: 2.5 ulp where MLX's float32 logaddexp
 * errs by up to 7e5 ulp, at 2.6x the speed of its correctly rounded
 * double-lane form).
 * float16 and bfloat16 compute in float32 and round once; float64 has its
 * own lanes: log, log2, log1p, power, tan, arcsin, arccos, arctan and
 * arctan2 the library's own in double-double, rounded once (tan's
 * reduction by pi/2 exact for every argument); erfinv by two Halley steps
 * on SLEEF's erf and erfc from the float polynomials' guess, and in scalar
 * code within 2^-25 of 1; expm1, sinh, tanh, arcsinh and arctanh with
 * series near 0; the rest SLEEF's. Without AVX2 or
 * SLEEF the same ops run as scalar C library calls; MLXCOMPAT_VECMATH=scalar,
 * avx2 or avx512 forces a choice (for testing). softmax and logsumexp over
 * contiguous rows use the same vector exp, and so does an inclusive forward
 * logcumsumexp along them (on AVX2 the rows' sums are taken in double lanes,
 * and a row whose maximum lies in [0, 60] takes e^x rather than e^(x - max):
 * the same quotients and logarithm, with no rounding of x - max to put back).
 *
 * Accuracy (max ulp) against the exact result, over inputs from every binade
 * of either sign (float32, float64), every float16 and bfloat16 value, and
 * the special values (+-0, +-inf, NaN, subnormals); checked by
 * native/capi/tests/vecmath_accuracy.cpp, which reads this table ("-": not
 * measured). The half types round a float32 result once; float32 log rounds
 * as the C library's logf but within about 2^-9 ulp of a tie (4027 floats),
 * so random draws built on it match MLX's bit for bit but for those;
 * float64 log, log2, log1p, power, tan and the arctangents carry their sums
 * as double-doubles and round once (near correctly rounded, as the C
 * library's that MLX calls).
 * Every function and dtype is at least as accurate as MLX v0.31.2 on the
 * same inputs (the test compares them). float32 power is also swept
 * where x^y is finite and nonzero (y = t / log2 |x|, t in [-155, 130], whole
 * for negative x) and over every pair of its special values. logaddexp and
 * logcumsumexp cancel where the result nears 0: their error is counted in
 * ulps of the larger of the result and max(x, y) (the running max).
 * softmax, logsumexp and logcumsumexp: rows of 4096 values, spread 4;
 * softmax and logsumexp in float32 also over rows centred at -30 and 80;
 * logsumexp in float32 also over 600 rows of 1, 10 and 31 values (rows
 * shorter than 32 are computed in blocks, in float64 lanes).
 *   op                                          float32 float64 float16 bfloat16
 *   log,power                                      0.51    0.501   0.51     0.51
 *   log2                                           0.56    0.501   0.51     0.51
 *   log10                                          0.59     1      0.51     0.51
 *   expm1                                          0.6     0.51    0.51     0.51
 *   log1p                                          0.6     0.501   0.51     0.51
 *   arccosh                                        0.6      1      0.51     0.51
 *   arctanh                                        0.6     1.01    0.51     0.51
 *   arcsin,arccos                                  0.7     0.501   0.51     0.51
 *   arctan                                         0.82    0.501   0.51     0.51
 *   erf                                            0.96     1      0.51     0.51
 *   cosh                                           0.85    1.1     0.51     0.51
 *   arcsinh                                        0.85    1.01    0.51     0.51
 *   sinh                                           0.9     1.1     0.51     0.51
 *   arctan2                                        1.2     0.501   0.51     0.51
 *   exp,sin,cos                                     1       1      0.51     0.51
 *   tan                                            1.01    0.501   0.51     0.51
 *   tanh                                           1.01    1.01    0.51     0.51
 *   sigmoid                                         2      2.5     0.51     0.51
 *   erfinv                                         2.2      2      0.51     0.51
 *   logaddexp                                      2.5     2.5     0.51     0.51
 *   softmax                                         5       5       -        -
 *   logsumexp                                       1       1       -        -
 *   logcumsumexp                                   200     200      -        -
 */
#ifndef MLXCOMPAT_H
#define MLXCOMPAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLXCOMPAT_ABI_VERSION 1

typedef struct mlxcompat_session mlxcompat_session;
typedef struct mlxcompat_result mlxcompat_result;

/* An input buffer: `size` bytes at `data`, laid out row-major in the dtype
 * the request gives it. Read during the call only; never copied unless an
 * output must outlive the call or `data` is not aligned to its dtype's size.
 * `data` may be NULL when `size` is 0. */
typedef struct {
  const void* data;
  size_t size;
} mlxcompat_buffer;

/* The engine's version, e.g. "0.1.0". Static storage: do not free. */
const char* mlxcompat_version(void);

/* MLXCOMPAT_ABI_VERSION of the loaded library. */
int mlxcompat_abi_version(void);

/* The capabilities JSON: engine and version, devices, the backends (name,
 * available, version, devices, library, and the reason when unavailable),
 * dtypes, every op with its family, arity, attributes, dtype rule, the
 * backends with a kernel for it, and whether its output shape follows from
 * its inputs' shapes alone ("shapeless"), and the default limits. The first
 * call may load libmlxc (see Backends above).
 * Returns an owned string: free with mlxcompat_string_free. NULL only when
 * out of memory. */
char* mlxcompat_capabilities(void);

/* A new session. `options_json` may be NULL, or an object whose optional
 * "limits" member overrides any of the limits listed in capabilities, and
 * whose optional "backend" ("native" or "mlx") runs the requests that name
 * no backend (default: MLXCOMPAT_BACKEND, else "native"). A session whose
 * backend is unavailable is still made; its requests are refused.
 * "limits" member overrides any of the limits listed in capabilities, each
 * an integer from 0 to its ceiling: max_elements 2^48, max_bytes the
 * machine's memory, max_nodes and max_inputs 10^7, max_ndim 64,
 * max_request_bytes a quarter of the machine's memory.
 * Returns NULL on bad options (then *error_out, if error_out is not NULL,
 * receives an owned error message to free with mlxcompat_string_free).
 * Free the session with mlxcompat_session_free. */
mlxcompat_session* mlxcompat_session_new(const char* options_json, char** error_out);

/* Frees a session with every resident array and every plan it still holds
 * (plans: graphs kept by a request with "define_plan", run by "run_plan").
 * NULL is a no-op. */
void mlxcompat_session_free(mlxcompat_session* session);

/* Evaluates a pure-JSON request of `length` bytes (not necessarily
 * NUL-terminated). Outputs default to inline values. `session` may be NULL:
 * a transient session is used, and resident handles ("unsupported_output")
 * and plans ("session_required") are then refused. Defining a plan under a
 * name the session already holds is a "duplicate_id" error at /define_plan.
 * The request must be one JSON value (RFC 8259, UTF-8) nested at most 128
 * levels deep; other text gets an "invalid_json" error with its byte offset.
 * Returns an owned response string: free with mlxcompat_string_free. NULL
 * only when out of memory. */
char* mlxcompat_eval_json(mlxcompat_session* session, const char* request, size_t length);

/* Evaluates a request whose inputs may name binary buffers by index
 * ({"buffer": i} refers to inputs[i]). Outputs default to buffers that
 * mlxcompat_result_buffer reads without JSON encoding. Returns an owned
 * result (never NULL unless out of memory): free with mlxcompat_result_free. */
mlxcompat_result* mlxcompat_eval(mlxcompat_session* session, const char* request, size_t length,
                                 const mlxcompat_buffer* inputs, size_t n_inputs);

/* mlxcompat_eval with the compact reply: an evaluation (a graph, or a
 * plan's run) whose outputs all come back as handles or buffers answers
 * {"compact": {"outputs": [...], "types": [...], "op_count", "fused_groups",
 * "elapsed_ms"}, "schema_version": 1, "status": "ok"}: each output's handle
 * (a string) or buffer index (a number), in order, and their types as
 * numbers, output after output: the dtype's index in capabilities'
 * "dtypes", the rank, then the dimensions. A caller that infers types
 * itself checks them without parsing an object per output. An output asked
 * for inline or as base64 is an invalid_request error; errors, refusals
 * and define_plan or export_function requests answer as mlxcompat_eval. */
mlxcompat_result* mlxcompat_eval_compact(mlxcompat_session* session, const char* request, size_t length,
                                         const mlxcompat_buffer* inputs, size_t n_inputs);

/* A job: a request queued on a session to run later, in the order the
 * session's jobs were queued, on the threads that wait for it.
 *
 * mlxcompat_job_new queues the request as mlxcompat_eval would run it
 * (outputs default to buffers) and returns at once without computing. The
 * request text is copied; the input buffers are read when the job runs:
 * keep them alive and unchanged until mlxcompat_job_wait has returned.
 * Returns NULL when `session` is NULL or memory is out.
 *
 * mlxcompat_job_wait runs every job of the session queued before this one
 * that no other thread has started, then this one, on the calling thread,
 * and waits for those another thread runs; it returns the job's result
 * (NULL only when out of memory). Several threads may wait for one job:
 * it runs once. The result belongs to the job: valid until
 * mlxcompat_job_free, do not free it with mlxcompat_result_free. A job that
 * has run no longer needs its session.
 *
 * mlxcompat_job_free waits for the job first when it has not run.
 * mlxcompat_session_free runs or waits for the session's queued jobs before
 * freeing it. Plain calls on a session (mlxcompat_eval, ...) do not wait for
 * its queued jobs; they wait only for the call running on it. */
typedef struct mlxcompat_job mlxcompat_job;
mlxcompat_job* mlxcompat_job_new(mlxcompat_session* session, const char* request, size_t length,
                                 const mlxcompat_buffer* inputs, size_t n_inputs);
const mlxcompat_result* mlxcompat_job_wait(mlxcompat_job* job);

/* As mlxcompat_job_wait, for a thread that waits on behalf of one that must
 * stay responsive (an event loop's): what it runs is background work. On
 * Linux the calling thread, while it computes, and the engine's background
 * workers that share its work are SCHED_BATCH threads with a 100 ms time
 * slice, so that a thread with an ordinary slice that wakes (the event
 * loop, on a timer or I/O) takes a core from them at once (Linux 6.12 and
 * later; earlier kernels only apply SCHED_BATCH) and they never preempt it.
 * Their share of the CPU against other threads and processes is unchanged:
 * a busy machine slows background jobs no more than plain calls. The
 * calling thread's scheduling attributes are put back before it returns; a
 * thread that is not SCHED_OTHER (real-time, idle) is left as it is. Other
 * systems: the same as mlxcompat_job_wait. */
const mlxcompat_result* mlxcompat_job_wait_background(mlxcompat_job* job);
void mlxcompat_job_free(mlxcompat_job* job);

/* The response JSON of a result. Owned by the result: valid until
 * mlxcompat_result_free, do not free it separately. */
const char* mlxcompat_result_json(const mlxcompat_result* result);

/* How many output buffers a result holds (0 unless status is "ok"). */
size_t mlxcompat_result_buffer_count(const mlxcompat_result* result);

/* Output buffer `index` (the "buffer" field of an output); its size in
 * bytes goes to *size_out when size_out is not NULL. Owned by the result:
 * valid until mlxcompat_result_free. NULL when index is out of range. */
const void* mlxcompat_result_buffer(const mlxcompat_result* result, size_t index, size_t* size_out);

/* Frees a result and its buffers. NULL is a no-op. */
void mlxcompat_result_free(mlxcompat_result* result);

/* Releases the resident array `handle` of a session. Returns 0, or -1 when
 * the session holds no such handle. */
int mlxcompat_release(mlxcompat_session* session, const char* handle);

/* Releases the resident array `handle` once the jobs queued on the session
 * so far have run (they may read it), without waiting for them: at once
 * when none is pending, then returning as mlxcompat_release does; else it
 * is queued behind them, run by the thread that runs the last of them, and
 * 0 is returned. -1 for a NULL session or handle. */
int mlxcompat_release_after_jobs(mlxcompat_session* session, const char* handle);

/* mlxcompat_release_after_jobs of every handle in `handles`: `length` bytes
 * of handle names, each followed by one space (a garbage-collected caller
 * releases what one collection found gone in one call). Returns how many
 * the session held when they were released at once, 0 when they were
 * queued behind pending jobs, -1 for a NULL session or list. */
int64_t mlxcompat_release_list_after_jobs(mlxcompat_session* session, const char* handles, size_t length);

/* Copies the data of the resident array `handle` (row-major, in its dtype's
 * layout) to `out` when `size` is its size in bytes, without a request:
 * reading a small result (a token, a loss) costs a lookup and a copy.
 * Waits only for a call running on the session, as mlxcompat_eval does.
 * Returns the array's size in bytes (nothing is copied when `size` differs
 * from it), or -1 when the session holds no such handle. */
int64_t mlxcompat_read(mlxcompat_session* session, const char* handle, void* out, size_t size);

/* The number of resident arrays a session holds, or -1 for NULL. */
int64_t mlxcompat_handle_count(mlxcompat_session* session);

/* Frees the plan `name` of a session (kept by a request with "define_plan")
 * with the constants it holds; a later "run_plan" of it is an unknown_plan
 * error. Returns 0, or -1 when the session holds no such plan. */
int mlxcompat_release_plan(mlxcompat_session* session, const char* name);

/* The number of plans a session holds, or -1 for NULL. */
int64_t mlxcompat_plan_count(mlxcompat_session* session);

/* Makes resident arrays of a session over byte ranges of the file at `path`
 * (UTF-8, NUL-terminated), without reading it: the file is mapped
 * (privately, copy-on-write) and each array reads its pages when an op first
 * touches them, so loading a large file costs time in proportion to what is
 * used. `spec` (`length` bytes of JSON) is {"arrays": [{"dtype": "float16",
 * "shape": [2, 3], "offset": 128}, ...]}: each array's row-major data starts
 * `offset` bytes into the file. An array whose offset is not a multiple of
 * its item size is copied instead (kernels read aligned elements).
 * Returns an owned response string (free with mlxcompat_string_free; NULL
 * only when out of memory): "status": "ok" with "outputs" [{"ref": "i",
 * "dtype", "shape", "handle"}] in the spec's order, released with
 * mlxcompat_release like any handle; or "status": "error" with code
 * file_not_found, file_unreadable, out_of_file (a range past the end; path
 * /arrays/i), invalid_json, invalid_spec, invalid_dtype, invalid_shape,
 * unknown_field; or "refused" (resource_limit) for shapes over the session's
 * limits. Nothing is made unless every array is valid. The mapping lives
 * while any array over it does; the file must not be truncated meanwhile
 * (pages past its new end would fault). Threads: as eval, under the
 * session's lock. `session` NULL gets an error response. */
char* mlxcompat_map_file(mlxcompat_session* session, const char* path, const char* spec, size_t length);

/* Process-wide memory figures as JSON: {"active", "peak", "cache"} in bytes
 * (arrays alive, the most alive at once since the last reset, and freed
 * memory kept for reuse). Owned: free with mlxcompat_string_free. */
char* mlxcompat_memory(void);

/* Returns cached memory to the system. */
void mlxcompat_clear_cache(void);

/* Sets the peak figure to the current active figure. */
void mlxcompat_reset_peak_memory(void);

/* Process-wide memory limits (MLX's set_memory_limit, set_cache_limit and
 * set_wired_limit); each returns the limit it replaces, in bytes.
 * memory: an allocation that would take the active figure past it is
 * refused (resource_limit, scope "memory", subject "memory_limit"); the
 * default is 80% of the machine's memory (or of a container's limit), as
 * MLX's. cache: freed blocks kept for reuse beyond it are returned to the
 * system at once (0 keeps none); the default is 2 GiB. wired: there is no
 * wired memory on the CPU, so, as MLX on the CPU, it has no effect and
 * returns 0. Threads: safe from any thread. */
size_t mlxcompat_set_memory_limit(size_t limit);
size_t mlxcompat_set_cache_limit(size_t limit);
size_t mlxcompat_set_wired_limit(size_t limit);

/* Frees a string returned by this library. NULL is a no-op. */
void mlxcompat_string_free(char* s);

#ifdef __cplusplus
}
#endif

#endif /* MLXCOMPAT_H */
