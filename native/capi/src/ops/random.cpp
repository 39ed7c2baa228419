// random_bits: counter-based random bits from a uint32 key pair with the
// Threefry-2x32 block cipher (20 rounds), laid out per key as MLX lays them
// out, so the same key gives the same bits as MLX.
#include <cstring>

#include "../op.h"

namespace mlxc {

namespace {

using U32Pair = std::pair<uint32_t, uint32_t>;

U32Pair threefry2x32(U32Pair key, U32Pair ctr) {
  static const int kRot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  const uint32_t ks[3] = {key.first, key.second, key.first ^ key.second ^ 0x1BD11BDAu};
  uint32_t x0 = ctr.first + ks[0], x1 = ctr.second + ks[1];
  for (int i = 0; i < 5; i++) {
    for (int r : kRot[i % 2]) {
      x0 += x1;
      x1 = (x1 << r) | (x1 >> (32 - r));
      x1 ^= x0;
    }
    x0 += ks[(i + 1) % 3];
    x1 += ks[(i + 2) % 3] + uint32_t(i + 1);
  }
  return {x0, x1};
}

// The words of one key's output: counters (i, i + half') fill word i and
// word i + half', and an odd word count takes its middle word from (half, 0).
void fill_words(U32Pair key, uint32_t* w, size_t words) {
  const size_t half = words / 2;
  const bool even = words % 2 == 0;
  const uint32_t second = uint32_t(half + (even ? 0 : 1));
  for (size_t i = 0; i < half; i++) {
    U32Pair r = threefry2x32(key, {uint32_t(i), second + uint32_t(i)});
    w[i] = r.first;
    w[second + i] = r.second;
  }
  if (!even) w[half] = threefry2x32(key, {uint32_t(half), 0}).first;
}

DType bits_dtype(int64_t width) { return width == 1 ? DType::UInt8 : width == 2 ? DType::UInt16 : DType::UInt32; }

}  // namespace

void register_random_ops() {
  OpDef d = make_op("random_bits", "random", "uint8, uint16 or uint32 by width", 1, 1,
                    {{"shape", AttrType::ShapeList, nullptr, true}, {"width", AttrType::Int, 4}});
  d.shapeless = false;
  d.infer = [](const InferCtx& c) {
    const TypeShape& key = c.in[0];
    if (key.dtype != DType::UInt32 || key.shape.empty() || key.shape.back() != 2)
      throw RequestError("invalid_shape", c.path + "/inputs/0", "a key is uint32 with a last dimension of 2");
    const int64_t width = c.attrs.i("width");
    if (width != 1 && width != 2 && width != 4) throw RequestError("invalid_attr", c.attrs.at("width"), "width is 1, 2 or 4 bytes");
    Shape out(key.shape.begin(), key.shape.end() - 1);
    for (auto v : c.attrs.ints("shape")) out.push_back(v);
    return std::vector<TypeShape>{{bits_dtype(width), out}};
  };
  d.eval = [](const EvalCtx& c) {
    const Array& key = c.in[0];
    Array out(c.out[0].dtype, c.out[0].shape);
    const int64_t keys = key.size() / 2;
    const size_t bytes = keys ? out.nbytes() / size_t(keys) : 0, words = (bytes + 3) / 4;
    if (bytes == 0) return std::vector<Array>{out};  // an empty shape: no words to copy from
    const uint32_t* k = key.data<uint32_t>();
    uint8_t* dst = static_cast<uint8_t*>(out.raw());
    // whole words go straight to the output; a key's output that ends within a word goes through one key's words
    std::vector<uint32_t> w(bytes % 4 ? words : 0);
    for (int64_t i = 0; i < keys; i++) {
      uint8_t* at = dst + size_t(i) * bytes;
      if (w.empty()) {
        fill_words({k[2 * i], k[2 * i + 1]}, reinterpret_cast<uint32_t*>(at), words);
        continue;
      }
      fill_words({k[2 * i], k[2 * i + 1]}, w.data(), words);
      std::memcpy(at, w.data(), bytes);
    }
    return std::vector<Array>{out};
  };
  register_op(std::move(d));
}

}  // namespace mlxc
