// Throughput of the engine's transcendental kernels through its C ABI,
// against real MLX v0.31.2 through mlx-c in the same run, and against the
// machine's copy bandwidth: each unary function over 64M float32, the
// chain tanh(exp(0.5 * (x*x + x))), softmax over 8192x4096 and logsumexp
// over its last axis. The engine reads MLXCOMPAT_NUM_THREADS once, so each
// thread count runs in a child process (this program with --child), alive
// for the whole run and asked for one case at a time; the parent prints one
// table with the scaling from 1 thread to the others (against linear
// scaling, or the copy bandwidth where that binds first).
// MLX is timed once, in a child of its own (--mlx-child), after the engine's:
// sharing a process with it slowed the engine's next runs (MLX maps and
// unmaps fresh pages for every output, 65K faults a call), which is what
// made the 1-thread column erratic when MLX was timed in the 1-thread child.
// Each case runs at every count in turn, twice (1..N, then 1..N again), and
// each figure is the fastest run of both passes after a warm-up run:
// disturbances from other processes only ever add time. A case's counts are
// timed seconds apart, so that a change in the host's load between cases
// (minutes apart on a shared host) weighs on all of its counts alike and
// not on its scaling, as it did when each count ran every case in turn
// (session 27). The copy figures are the better of one taken before the
// cases and one after. A case whose median run is far above its fastest is
// listed at the end as noisy.
// Beside each case's scaling, the same request over 1M elements (4 MB in
// and 4 MB out, held in the L2 and L3 caches; the engine splits a pass into
// parts of at least kPartWork / (the ops' Elementwise::work) elements, 64K
// for a vector function, so the request has parts for every thread) called
// 32 times a run: the scaling of the arithmetic, where DRAM bandwidth does
// not bind. On this kind of machine two
// busy vCPUs do not compute twice what one does, and that is what the
// streamed scaling should be read against.
//
// usage: vecmath_bench LIBMLXC|- THREADS,... [--repeat N] [--only OP,...]
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mlxcompat.h"
#include "stream_copy.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int repeat = 5;

struct Timing {
  double fastest, median;
};

template <class F> Timing time_runs(F run, int reps) {
  run();  // warm: the allocators keep the output's pages
  std::vector<double> t;
  for (int i = 0; i < reps; i++) {
    const double t0 = now();
    run();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

// The engine's runs are cheap (under 0.2 s each): at least this many a pass.
constexpr int kEngineRuns = 5;

// The copy bandwidth of `threads` threads, each copying its share: the
// better of memcpy and a streaming copy (stream_copy.h).
double copy_gbs(size_t bytes, int threads) {
  std::vector<char> a(bytes, 1), b(bytes, 0);
  double best = 1e30;
  for (const bool streamed : {false, true})
    best = std::min(best, time_runs([&] {
      std::vector<std::thread> ts;
      for (int k = 0; k < threads; k++)
        ts.emplace_back([&, k] {
          const size_t lo = bytes * size_t(k) / size_t(threads), hi = bytes * size_t(k + 1) / size_t(threads);
          if (streamed) stream_copy(b.data() + lo, a.data() + lo, hi - lo);
          else std::memcpy(b.data() + lo, a.data() + lo, hi - lo);
        });
      for (auto& t : ts) t.join();
    }, repeat).fastest);
  return 2.0 * double(bytes) / best / 1e9;
}

// ---- the engine ----------------------------------------------------------

struct Case {
  std::string name;           // what is printed
  std::string nodes;          // the request's nodes over input "x" (the result is "y")
  std::string mlx;            // mlx-c function, or a chain name
  float lo, hi;               // the inputs' range
  int64_t rows, cols;         // shape
};

// In-cache runs: this many elements (the rows cut to fit), this many calls a run.
constexpr int64_t kCacheElems = 1 << 20;
constexpr int kCacheCalls = 32;

// The case over x (rows x cols), `calls` calls a timed run.
Timing engine_seconds(const Case& c, const std::vector<float>& x, int64_t rows, int calls) {
  const std::string req = "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"float32\",\"shape\":[" +
                          std::to_string(rows) + "," + std::to_string(x.size() / size_t(rows)) +
                          "],\"buffer\":0},{\"id\":\"h\",\"dtype\":\"float32\",\"shape\":[],\"data\":0.5}],\"nodes\":" +
                          c.nodes + ",\"outputs\":[\"y\"]}";
  mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
  const mlxcompat_buffer in{x.data(), x.size() * 4};
  bool ok = true;
  const Timing t = time_runs([&] {
    for (int k = 0; k < calls; k++) {
      mlxcompat_result* r = mlxcompat_eval(s, req.data(), req.size(), &in, 1);
      if (!mlxcompat_result_buffer(r, 0, nullptr)) {
        if (ok) std::fprintf(stderr, "%s: %s\n", c.name.c_str(), mlxcompat_result_json(r));
        ok = false;
      }
      mlxcompat_result_free(r);
    }
  }, std::max(repeat, kEngineRuns));
  mlxcompat_session_free(s);
  return ok ? t : Timing{NAN, NAN};
}

// ---- real MLX through mlx-c (declared here; loaded with dlopen) ----------

struct mlx_array { void* ctx; };
struct mlx_stream { void* ctx; };
struct Mlx {
  void* h = nullptr;
  mlx_stream s{};
  mlx_array (*array_new_data)(const void*, const int*, int, int);
  mlx_array (*array_new_float)(float);
  int (*array_free)(mlx_array);
  mlx_array (*array_new)();
  int (*array_eval)(mlx_array);
  int (*binary)(mlx_array*, mlx_array, mlx_array, mlx_stream);  // scratch for lookups
  template <class F> bool get(F& f, const char* name) {
    f = reinterpret_cast<F>(dlsym(h, name));
    return f != nullptr;
  }
  bool open(const char* path) {
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    mlx_stream (*cpu)();
    void (*handler)(void (*)(const char*, void*), void*, void (*)(void*));
    if (!(get(array_new_data, "mlx_array_new_data") && get(array_new_float, "mlx_array_new_float") &&
          get(array_free, "mlx_array_free") && get(array_new, "mlx_array_new") && get(array_eval, "mlx_array_eval") &&
          get(cpu, "mlx_default_cpu_stream_new") && get(handler, "mlx_set_error_handler")))
      return false;
    handler([](const char* msg, void*) { std::fprintf(stderr, "mlx: %s\n", msg); }, nullptr, nullptr);
    s = cpu();
    return true;
  }
  mlx_array un(const char* op, mlx_array a) {
    int (*fn)(mlx_array*, mlx_array, mlx_stream);
    mlx_array r = array_new();
    if (get(fn, op)) fn(&r, a, s);
    return r;
  }
  mlx_array bin(const char* op, mlx_array a, mlx_array b) {
    int (*fn)(mlx_array*, mlx_array, mlx_array, mlx_stream);
    mlx_array r = array_new();
    if (get(fn, op)) fn(&r, a, b, s);
    return r;
  }
  mlx_array axis(const char* op, mlx_array a) {
    mlx_array r = array_new();
    if (std::strcmp(op, "softmax") == 0) {
      int (*fn)(mlx_array*, mlx_array, int, bool, mlx_stream);
      if (get(fn, "mlx_softmax_axis")) fn(&r, a, -1, false, s);
    } else {
      int (*fn)(mlx_array*, mlx_array, int, bool, mlx_stream);
      if (get(fn, "mlx_logsumexp_axis")) fn(&r, a, -1, false, s);
    }
    return r;
  }
  Timing seconds(const Case& c, const std::vector<float>& x) {
    const int shape[2] = {int(c.rows), int(c.cols)};
    mlx_array a = array_new_data(x.data(), shape, 2, 10 /* MLX_FLOAT32 */);
    array_eval(a);
    const Timing t = time_runs([&] {
      std::vector<mlx_array> tmp;
      mlx_array y;
      if (c.mlx == "chain") {
        mlx_array half = array_new_float(0.5f);
        tmp = {half, bin("mlx_multiply", a, a)};
        tmp.push_back(bin("mlx_add", tmp.back(), a));
        tmp.push_back(bin("mlx_multiply", tmp.back(), half));
        tmp.push_back(un("mlx_exp", tmp.back()));
        y = un("mlx_tanh", tmp.back());
      } else if (c.mlx == "softmax" || c.mlx == "logsumexp") {
        y = axis(c.mlx.c_str(), a);
      } else if (c.mlx == "mlx_power" || c.mlx == "mlx_logaddexp" || c.mlx == "mlx_arctan2") {
        y = bin(c.mlx.c_str(), a, a);
      } else {
        y = un(c.mlx.c_str(), a);
      }
      array_eval(y);
      array_free(y);
      for (mlx_array t : tmp) array_free(t);
    }, std::max(1, repeat / 2));
    array_free(a);
    return t;
  }
};

std::vector<Case> cases() {
  const int64_t n = 64ll << 20;
  std::vector<Case> v;
  auto unary = [&](const char* op, float lo, float hi) {
    v.push_back({op, std::string("[{\"id\":\"y\",\"op\":\"") + op + "\",\"inputs\":[\"x\"]}]", std::string("mlx_") + op,
                 lo, hi, 1, n});
  };
  for (const char* op : {"exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "arcsin", "arccos",
                         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "erf", "erfinv"}) {
    const std::string o = op;
    if (o.rfind("log", 0) == 0) unary(op, 0.01f, 100.0f);
    else if (o == "arcsin" || o == "arccos" || o == "arctanh" || o == "erfinv") unary(op, -0.999f, 0.999f);
    else if (o == "arccosh") unary(op, 1.0f, 100.0f);
    else unary(op, -8.0f, 8.0f);
  }
  for (const char* op : {"power", "logaddexp", "arctan2"})  // x op x: the same bytes move as for a unary op
    v.push_back({op, std::string("[{\"id\":\"y\",\"op\":\"") + op + "\",\"inputs\":[\"x\",\"x\"]}]",
                 std::string("mlx_") + op, 0.1f, 4.0f, 1, n});
  v.push_back({"chain tanh(exp(0.5(x*x+x)))",
               "[{\"id\":\"a\",\"op\":\"multiply\",\"inputs\":[\"x\",\"x\"]},{\"id\":\"b\",\"op\":\"add\",\"inputs\":[\"a\",\"x\"]},"
               "{\"id\":\"c\",\"op\":\"multiply\",\"inputs\":[\"b\",\"h\"]},{\"id\":\"d\",\"op\":\"exp\",\"inputs\":[\"c\"]},"
               "{\"id\":\"y\",\"op\":\"tanh\",\"inputs\":[\"d\"]}]",
               "chain", -2.0f, 2.0f, 1, n});
  v.push_back({"softmax 8192x4096", "[{\"id\":\"y\",\"op\":\"softmax\",\"inputs\":[\"x\"],\"attrs\":{\"axes\":[-1]}}]",
               "softmax", -4.0f, 4.0f, 8192, 4096});
  v.push_back({"logsumexp 8192x4096 (last axis)",
               "[{\"id\":\"y\",\"op\":\"logsumexp\",\"inputs\":[\"x\"],\"attrs\":{\"axes\":[-1]}}]", "logsumexp", -4.0f, 4.0f,
               8192, 4096});
  return v;
}

// The inputs: uniform in [lo, hi), from a fixed seed (splitmix64: cheap next
// to the runs, so that a child spends its time timing).
void fill(std::vector<float>& x, float lo, float hi) {
  uint64_t state = 7;
  for (auto& v : x) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    v = std::min(lo + (hi - lo) * (float(z >> 40) * 0x1p-24f), std::nextafter(hi, lo));
  }
}

bool selected(const Case& c, const std::vector<std::string>& only) {
  return only.empty() || std::find(only.begin(), only.end(), c.name.substr(0, c.name.find(' '))) != only.end();
}

// MLX alone, every selected case: prints "case<TAB>fastest_s<TAB>median_s" lines.
int mlx_child(const char* libmlxc, const std::vector<std::string>& only) {
  Mlx mlx;
  if (!mlx.open(libmlxc)) {
    std::fprintf(stderr, "cannot load MLX from %s: %s\n", libmlxc, dlerror());
    return 1;
  }
  for (const Case& c : cases()) {
    if (!selected(c, only)) continue;
    std::vector<float> x(size_t(c.rows * c.cols));
    fill(x, c.lo, c.hi);
    const Timing t = mlx.seconds(c, x);
    std::printf("%s\t%.6f\t%.6f\n", c.name.c_str(), t.fastest, t.median);
    std::fflush(stdout);
  }
  return 0;
}

// One thread count of the engine (MLXCOMPAT_NUM_THREADS), serving the
// parent a line at a time: "copy" -> "GBS", a case's name ->
// "fastest_s<TAB>median_s<TAB>in-cache fastest_s".
int engine_child() {
  const int threads = std::atoi(std::getenv("MLXCOMPAT_NUM_THREADS") ? std::getenv("MLXCOMPAT_NUM_THREADS") : "1");
  const std::vector<Case> all = cases();
  for (char line[256]; std::fgets(line, sizeof line, stdin);) {
    const std::string want(line, std::strcspn(line, "\n"));
    if (want == "copy") {
      std::printf("%.6f\n", copy_gbs(size_t(256) << 20, threads));
    } else {
      const auto c = std::find_if(all.begin(), all.end(), [&](const Case& k) { return k.name == want; });
      if (c == all.end()) return 1;
      std::vector<float> x(size_t(c->rows * c->cols));
      fill(x, c->lo, c->hi);
      const Timing t = engine_seconds(*c, x, c->rows, 1);
      const int64_t rows = std::max<int64_t>(1, c->rows * kCacheElems / int64_t(x.size()));
      x.resize(size_t(kCacheElems));  // rows x (kCacheElems / rows)
      const Timing tc = engine_seconds(*c, x, rows, kCacheCalls);
      std::printf("%.6f\t%.6f\t%.6f\n", t.fastest, t.median, tc.fastest);
    }
    std::fflush(stdout);
  }
  return 0;
}

// An engine child at `threads`, its stdin and stdout piped to the parent.
struct Child {
  pid_t pid = -1;
  FILE* to = nullptr;
  FILE* from = nullptr;
  // One request and its answer line ("" when the child is gone).
  std::string ask(const std::string& what) {
    std::fprintf(to, "%s\n", what.c_str());
    std::fflush(to);
    char line[256];
    return std::fgets(line, sizeof line, from) ? std::string(line) : std::string();
  }
};

Child spawn(std::vector<std::string> args, int threads) {
  int down[2], up[2];  // close-on-exec: a later child must not hold an earlier one's pipes open
  if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(down[0], 0);
    dup2(up[1], 1);
    for (int fd : {down[0], down[1], up[0], up[1]}) close(fd);
    setenv("MLXCOMPAT_NUM_THREADS", std::to_string(threads).c_str(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  if (pid < 0) {
    close(down[1]);
    close(up[0]);
    return {};
  }
  return {pid, fdopen(down[1], "w"), fdopen(up[0], "r")};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LIBMLXC|- THREADS,... [--repeat N] [--only OP,...]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> only;
  bool is_child = false, is_mlx_child = false;
  for (int i = 3; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc) {
      std::string s = argv[++i];
      for (size_t p; (p = s.find(',')) != std::string::npos; s = s.substr(p + 1)) only.push_back(s.substr(0, p));
      only.push_back(s);
    } else if (a == "--child") is_child = true;
    else if (a == "--mlx-child") is_mlx_child = true;
  }
  if (is_child) return engine_child();
  if (is_mlx_child) return mlx_child(argv[1], only);

  // Parent: one engine child a count, alive throughout; each case at every
  // count in turn, twice; then MLX's child; then the table.
  std::vector<int> counts;
  for (std::string s = argv[2];;) {
    counts.push_back(std::atoi(s.c_str()));
    const size_t p = s.find(',');
    if (p == std::string::npos) break;
    s = s.substr(p + 1);
  }
  std::vector<std::string> child_args{argv[0], argv[1], argv[2]};
  for (int i = 3; i < argc; i++) child_args.push_back(argv[i]);
  child_args.push_back("--child");
  constexpr int kMlx = 0;  // MLX's row in the results (counts start at 1)
  std::map<int, std::map<std::string, Timing>> res;
  std::map<int, std::map<std::string, double>> cache;  // in-cache runs, fastest
  std::map<int, double> copy;
  std::vector<std::string> order;
  std::map<int, Child> kids;
  for (int t : counts)
    if (!(kids[t] = spawn(child_args, t)).to) {
      std::fprintf(stderr, "cannot start the %d-thread child: %s\n", t, std::strerror(errno));
      return 1;
    }
  auto ask = [&](int t, const std::string& what) {
    const std::string a = kids[t].ask(what);
    if (a.empty()) {
      std::fprintf(stderr, "the %d-thread child ended at %s\n", t, what.c_str());
      std::exit(1);
    }
    return a;
  };
  // The copy figure at the start and at the end: the better of the two.
  auto measure_copy = [&] {
    for (int t : counts) copy[t] = std::max(copy[t], std::atof(ask(t, "copy").c_str()));
  };
  measure_copy();
  for (const Case& c : cases()) {
    if (!selected(c, only)) continue;
    order.push_back(c.name);
    for (int pass = 0; pass < 2; pass++)
      for (int t : counts) {
        const std::string a = ask(t, c.name);
        const char* p = a.c_str();
        char* end;
        const double fastest = std::strtod(p, &end), median = std::strtod(end, &end), tc = std::strtod(end, &end);
        // the fastest of both passes, the higher median
        if (!res[t].count(c.name)) res[t][c.name] = {fastest, median}, cache[t][c.name] = tc;
        else {
          res[t][c.name] = {std::min(res[t][c.name].fastest, fastest), std::max(res[t][c.name].median, median)};
          cache[t][c.name] = std::min(cache[t][c.name], tc);
        }
      }
    std::fprintf(stderr, "  %s done\n", c.name.c_str());
  }
  measure_copy();
  for (auto& [t, k] : kids) {
    std::fclose(k.to);  // end of input: the child returns
    std::fclose(k.from);
    waitpid(k.pid, nullptr, 0);
  }
  if (argv[1][0] != '-') {
    std::fprintf(stderr, "running MLX v0.31.2 (mlx-c)...\n");
    std::string cmd = "'" + std::string(argv[0]) + "' '" + argv[1] + "' " + argv[2];
    for (int i = 3; i < argc; i++) cmd += std::string(" '") + argv[i] + "'";
    FILE* p = popen((cmd + " --mlx-child").c_str(), "r");
    if (!p) return 1;
    for (char line[512]; std::fgets(line, sizeof line, p);) {
      const std::string l = line;
      const size_t a = l.find('\t'), b = l.find('\t', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      res[kMlx][l.substr(0, a)] = {std::atof(l.c_str() + a + 1), std::atof(l.c_str() + b + 1)};
    }
    if (pclose(p) != 0) return 1;
  } else {
    std::fprintf(stderr, "real MLX not timed\n");
  }
  // GB/s counts every byte read and written once: 8 bytes per element (4 for the reductions' output aside),
  // over each case's own elements (softmax and logsumexp have 32M: counted as 64M before session 22,
  // which doubled their GB/s and share of copy and moved their ideal scaling toward bandwidth's).
  std::map<std::string, double> elems;
  for (const Case& c : cases()) elems[c.name] = double(c.rows) * double(c.cols);
  auto gbs = [&](const std::string& name, double s) {
    const double n = elems.count(name) ? elems[name] : 64.0 * (1 << 20);
    const double bytes = name.rfind("logsumexp", 0) == 0 ? n * 4 : n * 8;
    return bytes / s / 1e9;
  };
  // The ideal time at t threads: the first count's time divided by the
  // ratio of counts, unless moving the bytes at that count's copy bandwidth
  // takes longer (then the memory binds, not the arithmetic).
  auto ideal = [&](const std::string& name, int t) {
    const double linear = res[counts[0]][name].fastest / (double(t) / counts[0]);
    return std::max(linear, gbs(name, 1.0) / copy[t]);
  };
  auto theirs = [&](const std::string& name) { return res[kMlx].count(name) ? res[kMlx][name].fastest : NAN; };
  for (int t : counts) {
    std::printf("\n%d thread(s): copy bandwidth %.1f GB/s (the better of memcpy and a streamed copy, read + write)\n", t, copy[t]);
    std::printf("%-34s %9s %9s %7s %9s %9s %8s %s\n", "case", "ms", "GB/s", "%copy", "MLX ms", "MLX GB/s", "x MLX",
                t == counts[0] ? "in cache" : "scaling; in cache");
    for (const std::string& name : order) {
      const double ours = res[t][name].fastest, mlx = theirs(name);
      char scal[64] = "";
      const bool both = cache[t].count(name) && cache[counts[0]].count(name);
      if (t == counts[0] && both) {
        std::snprintf(scal, sizeof scal, "%.3f ns/element", 1e9 * cache[t][name] / (double(kCacheElems) * kCacheCalls));
      } else if (t != counts[0] && res[counts[0]].count(name)) {
        const double s1 = res[counts[0]][name].fastest;
        const int n = std::snprintf(scal, sizeof scal, "%.2fx (%.0f%% of ideal)", s1 / ours, 100.0 * ideal(name, t) / ours);
        if (both) std::snprintf(scal + n, sizeof scal - size_t(n), "; %.2fx", cache[counts[0]][name] / cache[t][name]);
      }
      std::printf("%-34s %9.1f %9.2f %6.0f%% %9.1f %9.2f %7.1fx %s\n", name.c_str(), ours * 1e3, gbs(name, ours),
                  100.0 * gbs(name, ours) / copy[t], mlx * 1e3, gbs(name, mlx), mlx / ours, scal);
    }
  }
  // Runs far from their fastest mean the machine was busy: read those figures with care.
  std::string noisy;
  for (int t : counts)
    for (const std::string& name : order)
      if (res[t][name].median > 1.25 * res[t][name].fastest) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s at %d (median +%.0f%%)", noisy.empty() ? "" : ", ", name.c_str(), t,
                      100.0 * (res[t][name].median / res[t][name].fastest - 1));
        noisy += buf;
      }
  std::printf("\nfigures: the fastest of %d runs a pass, two passes, after a warm-up run (MLX: fastest of %d)\n",
              std::max(repeat, kEngineRuns), std::max(1, repeat / 2));
  std::printf("ideal scaling: %d thread(s)' time divided by the ratio of thread counts, or the time to move the\n"
              "bytes at the copy bandwidth of that count when that is longer (bandwidth binds)\n", counts[0]);
  std::printf("in cache: the same request over %lld elements (held in the L2 and L3 caches), %d calls a run; its\n"
              "scaling is what the arithmetic gains from more threads here without DRAM traffic\n",
              (long long)kCacheElems, kCacheCalls);
  std::printf("noisy (median run over 1.25x the fastest): %s\n", noisy.empty() ? "none" : noisy.c_str());
  // A streamed case scales no better than its arithmetic does in cache, unless bandwidth binds at 1
  // thread: on a shared host, the cases' in-cache scaling says what this run's host gave.
  for (int t : counts) {
    if (t == counts[0]) continue;
    std::vector<double> gain;
    for (const std::string& name : order)
      if (cache[t].count(name) && cache[counts[0]].count(name)) gain.push_back(cache[counts[0]][name] / cache[t][name]);
    if (gain.empty()) continue;
    std::sort(gain.begin(), gain.end());
    std::printf("host: in-cache scaling at %d threads over the cases: median %.2fx, lowest %.2fx (%.2fx is linear)\n", t,
                gain[gain.size() / 2], gain.front(), double(t) / counts[0]);
  }
  return 0;
}
