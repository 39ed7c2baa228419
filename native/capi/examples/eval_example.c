/* Sends one request with a binary input buffer and prints the result:
 * y = sum(x * 2 + 1, axis 1) for x = [[1, 2, 3], [4, 5, 6]] -> [15, 33].
 * Usage: mlxcompat_example [native|mlx]: the backend that computes it (mlx:
 * real MLX through mlx-c, loaded from MLXCOMPAT_MLXC_LIBRARY; the response
 * is "refused" with the reason when it cannot be loaded). */
#include <stdio.h>
#include <string.h>

#include "mlxcompat.h"

int main(int argc, char** argv) {
  const float x[6] = {1, 2, 3, 4, 5, 6};
  const char* request =
      "{\"schema_version\": 1,"
      " \"inputs\": [{\"id\": \"x\", \"dtype\": \"float32\", \"shape\": [2, 3], \"buffer\": 0},"
      "            {\"id\": \"two\", \"dtype\": \"float32\", \"shape\": [], \"data\": 2},"
      "            {\"id\": \"one\", \"dtype\": \"float32\", \"shape\": [], \"data\": 1}],"
      " \"nodes\": [{\"id\": \"a\", \"op\": \"multiply\", \"inputs\": [\"x\", \"two\"]},"
      "             {\"id\": \"b\", \"op\": \"add\", \"inputs\": [\"a\", \"one\"]},"
      "             {\"id\": \"y\", \"op\": \"sum\", \"inputs\": [\"b\"], \"attrs\": {\"axes\": [1]}}],"
      " \"outputs\": [\"y\"]}";
  printf("mlxcompat %s\n", mlxcompat_version());
  char options[64];
  snprintf(options, sizeof options, "{\"backend\": \"%s\"}", argc > 1 ? argv[1] : "native");
  char* error = NULL;
  mlxcompat_session* s = mlxcompat_session_new(options, &error);
  if (!s) {
    fprintf(stderr, "%s\n", error);
    mlxcompat_string_free(error);
    return 1;
  }
  mlxcompat_buffer in = {x, sizeof x};
  mlxcompat_result* r = mlxcompat_eval(s, request, strlen(request), &in, 1);
  if (!r) return 1;
  printf("%s\n", mlxcompat_result_json(r));
  size_t size = 0;
  const float* y = (const float*)mlxcompat_result_buffer(r, 0, &size);
  if (!y || size != 2 * sizeof(float)) return 1;
  printf("y = [%g, %g]\n", y[0], y[1]);
  mlxcompat_result_free(r);
  mlxcompat_session_free(s);
  return 0;
}
