/*
 * Jobs under contention, for ThreadSanitizer: per session, a waiter thread
 * waits for every job in order with mlxcompat_job_wait_background (as the
 * TypeScript bridge does on libuv's pool) while the main thread keeps
 * queuing jobs, joins random ones (mlxcompat_job_wait),
 * releases handles behind the jobs that read them and makes plain calls on
 * the same session; two sessions run at once. Every result is checked, and
 * the handle counts show that no job ran twice. On Linux it also checks
 * that background work ran on SCHED_BATCH workers and that each waiter
 * thread got its own scheduling policy back. Exit status 0 when all held.
 *
 *   mlxcompat_jobs_stress [rounds]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlxcompat.h"

enum { JOBS = 48, SESSIONS = 2, N = 65536 };

typedef struct {
  mlxcompat_session* session;
  mlxcompat_job* jobs[JOBS];
  int value[JOBS];
  int released[JOBS]; /* main thread only */
  atomic_int queued;  /* jobs[0 .. queued) may be waited for */
  atomic_int failures;
  unsigned seed;
} Lane;

static int fail(Lane* lane, const char* what, int i) {
  fprintf(stderr, "jobs_stress: %s (job %d)\n", what, i);
  atomic_fetch_add(&lane->failures, 1);
  return 0;
}

/* Checks job i's result: status ok, a handle, and the sum v * N in its buffer. */
static int check(Lane* lane, int i, const mlxcompat_result* r) {
  if (!r) return fail(lane, "NULL result", i);
  const char* json = mlxcompat_result_json(r);
  if (!strstr(json, "\"status\":\"ok\"")) return fail(lane, json, i);
  size_t size = 0;
  const float* sum = (const float*)mlxcompat_result_buffer(r, 0, &size);
  if (!sum || size != sizeof(float) || *sum != (float)lane->value[i] * N) return fail(lane, "wrong sum", i);
  return 1;
}

static void* waiter(void* arg) {
  Lane* lane = arg;
  for (int i = 0; i < JOBS; i++) {
    while (atomic_load(&lane->queued) <= i) sched_yield();
    check(lane, i, mlxcompat_job_wait_background(lane->jobs[i]));
#ifdef __linux__
    if (sched_getscheduler(0) != SCHED_OTHER) fail(lane, "the waiter's scheduling policy was not put back", i);
#endif
  }
  return NULL;
}

#ifdef __linux__
#include <dirent.h>
/* How many of this process's threads run under `policy` (field 41 of /proc/self/task/TID/stat). */
static int threads_with_policy(int policy) {
  DIR* d = opendir("/proc/self/task");
  int count = 0;
  for (struct dirent* e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE* f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields after the command name, which ends at the last ')': field 3 onwards */
    char* p = strrchr(buf, ')');
    int field = 2, value = -1;
    for (char* tok = p ? strtok(p + 1, " ") : NULL; tok; tok = strtok(NULL, " "))
      if (++field == 41) {
        value = atoi(tok);
        break;
      }
    count += value == policy;
  }
  if (d) closedir(d);
  return count;
}
#endif

static char* request(int v) {
  char* text = malloc(512);
  snprintf(text, 512,
           "{\"schema_version\":1,\"inputs\":[{\"id\":\"v\",\"dtype\":\"float32\",\"shape\":[],\"data\":%d}],"
           "\"nodes\":[{\"id\":\"o\",\"op\":\"ones\",\"attrs\":{\"shape\":[%d],\"dtype\":\"float32\"}},"
           "{\"id\":\"a\",\"op\":\"multiply\",\"inputs\":[\"o\",\"v\"]},{\"id\":\"s\",\"op\":\"sum\",\"inputs\":[\"a\"]}],"
           "\"outputs\":[{\"ref\":\"s\",\"as\":\"buffer\"},{\"ref\":\"a\",\"as\":\"handle\"}]}",
           v, N);
  return text;
}

/* The handle a job's response names, copied to out. */
static int handle_of(const mlxcompat_result* r, char* out, size_t cap) {
  const char* at = r ? strstr(mlxcompat_result_json(r), "\"handle\":\"") : NULL;
  if (!at) return 0;
  at += strlen("\"handle\":\"");
  size_t n = strcspn(at, "\"");
  if (n + 1 > cap) return 0;
  memcpy(out, at, n);
  out[n] = 0;
  return 1;
}

static int round_of(int round) {
  Lane lanes[SESSIONS];
  pthread_t threads[SESSIONS];
  for (int l = 0; l < SESSIONS; l++) {
    memset(&lanes[l], 0, sizeof lanes[l]);
    lanes[l].session = mlxcompat_session_new(NULL, NULL);
    lanes[l].seed = (unsigned)(round * 7919 + l);
    pthread_create(&threads[l], NULL, waiter, &lanes[l]);
  }
  for (int i = 0; i < JOBS; i++) {
    for (int l = 0; l < SESSIONS; l++) {
      Lane* lane = &lanes[l];
      lane->value[i] = (int)(rand_r(&lane->seed) % 100);
      char* text = request(lane->value[i]);
      lane->jobs[i] = mlxcompat_job_new(lane->session, text, strlen(text), NULL, 0);
      free(text);
      atomic_store(&lane->queued, i + 1);
      unsigned r = rand_r(&lane->seed) % 8;
      if (r < 3) {
        /* join a job already queued; it may be running on the waiter, or not started */
        int j = (int)(rand_r(&lane->seed) % (unsigned)(i + 1));
        const mlxcompat_result* res = mlxcompat_job_wait(lane->jobs[j]);
        check(lane, j, res);
        char handle[64];
        /* release its handle behind whatever is queued (each job's once) */
        if (r == 0 && !lane->released[j] && handle_of(res, handle, sizeof handle)) {
          lane->released[j] = 1;
          if (mlxcompat_release_after_jobs(lane->session, handle) != 0) fail(lane, "release of a live handle", j);
        }
      } else if (r == 3) {
        /* a plain call on the session while jobs are queued or running */
        const char* plain = "{\"schema_version\":1,\"nodes\":[{\"id\":\"a\",\"op\":\"arange\",\"attrs\":{\"stop\":5,\"dtype\":\"int32\"}}],\"outputs\":[\"a\"]}";
        char* out = mlxcompat_eval_json(lane->session, plain, strlen(plain));
        if (!out || !strstr(out, "[0,1,2,3,4]")) fail(lane, out ? out : "NULL", -1);
        mlxcompat_string_free(out);
      }
    }
  }
  int failures = 0;
  for (int l = 0; l < SESSIONS; l++) {
    pthread_join(threads[l], NULL);
    Lane* lane = &lanes[l];
    /* every job ran once: one handle each, less those released */
    int64_t expected = JOBS;
    for (int i = 0; i < JOBS; i++) expected -= lane->released[i];
    if (mlxcompat_handle_count(lane->session) != expected) fail(lane, "handle count", -1);
    for (int i = 0; i < JOBS; i++) mlxcompat_job_free(lane->jobs[i]);
    failures += atomic_load(&lane->failures);
    mlxcompat_session_free(lane->session);
  }
  return failures;
}

static void* wait_background(void* job) {
  mlxcompat_job_wait_background(job);
  return NULL;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  int failures = 0;
  for (int r = 0; r < rounds; r++) failures += round_of(r);
  /* a session freed with jobs nobody waited for runs them first */
  mlxcompat_session* s = mlxcompat_session_new(NULL, NULL);
  char* text = request(3);
  mlxcompat_job* orphan = mlxcompat_job_new(s, text, strlen(text), NULL, 0);
  free(text);
  mlxcompat_session_free(s);
  const mlxcompat_result* r = mlxcompat_job_wait(orphan);
  size_t size = 0;
  const float* sum = r ? (const float*)mlxcompat_result_buffer(r, 0, &size) : NULL;
  if (!sum || *sum != 3.0f * N) failures++, fprintf(stderr, "jobs_stress: the orphan job did not run\n");
  mlxcompat_job_free(orphan);
  /* a product large enough to take parallel parts, waited for in the background from a thread of its own */
  s = mlxcompat_session_new(NULL, NULL);
  const char* product =
      "{\"schema_version\":1,\"nodes\":[{\"id\":\"o\",\"op\":\"ones\",\"attrs\":{\"shape\":[256,256],\"dtype\":\"float32\"}},"
      "{\"id\":\"m\",\"op\":\"matmul\",\"inputs\":[\"o\",\"o\"]},{\"id\":\"s\",\"op\":\"sum\",\"inputs\":[\"m\"]}],"
      "\"outputs\":[{\"ref\":\"s\",\"as\":\"buffer\"}]}";
  mlxcompat_job* big = mlxcompat_job_new(s, product, strlen(product), NULL, 0);
  pthread_t t;
  pthread_create(&t, NULL, wait_background, big);
  pthread_join(t, NULL);
  sum = (const float*)mlxcompat_result_buffer(mlxcompat_job_wait(big), 0, &size);
  if (!sum || *sum != 256.0f * 256.0f * 256.0f) failures++, fprintf(stderr, "jobs_stress: wrong product\n");
  mlxcompat_job_free(big);
  mlxcompat_session_free(s);
#ifdef __linux__
  /* its parts ran on the background workers (none with one core) */
  const int batch = threads_with_policy(SCHED_BATCH);
  const char* threads = getenv("MLXCOMPAT_NUM_THREADS");
  const long workers = (threads && atoi(threads) > 0 ? atoi(threads) : sysconf(_SC_NPROCESSORS_ONLN)) - 1;
  if (workers > 0 && batch < 1) failures++, fprintf(stderr, "jobs_stress: no SCHED_BATCH worker after background jobs\n");
  printf("jobs_stress: %d SCHED_BATCH threads\n", batch);
#endif
  printf("jobs_stress: %d rounds, %d failures\n", rounds, failures);
  return failures ? 1 : 0;
}
