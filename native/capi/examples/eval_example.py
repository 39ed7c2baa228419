"""Sends one request to the mlx-compat engine through ctypes (no other packages)
and prints the result: y = sum(x * 2 + 1, axis 1) for x = [[1, 2, 3], [4, 5, 6]].

Usage: python3 eval_example.py [--backend native|mlx] [path/to/libmlxcompat.so]  (default: the archive's or the build's)
(--backend mlx: real MLX through mlx-c, loaded from MLXCOMPAT_MLXC_LIBRARY; the
response is "refused" with the reason when it cannot be loaded.)
"""
import ctypes
import json
import os
import sys

# Three folders up is the repository (its build) or the unpacked release archive (its lib/).
top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
found = [p for p in (os.path.join(top, "lib", "libmlxcompat.so"), os.path.join(top, "build", "native", "libmlxcompat.so")) if os.path.exists(p)]
default = found[0] if found else "libmlxcompat.so"
args = sys.argv[1:]
backend = "native"
if args[:1] == ["--backend"]:
    backend, args = args[1], args[2:]
lib = ctypes.CDLL(args[0] if args else os.environ.get("MLXCOMPAT_LIBRARY", default))


class Buffer(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]


lib.mlxcompat_version.restype = ctypes.c_char_p
lib.mlxcompat_session_new.restype = ctypes.c_void_p
lib.mlxcompat_session_new.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
lib.mlxcompat_session_free.argtypes = [ctypes.c_void_p]
lib.mlxcompat_eval.restype = ctypes.c_void_p
lib.mlxcompat_eval.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(Buffer), ctypes.c_size_t]
lib.mlxcompat_result_json.restype = ctypes.c_char_p
lib.mlxcompat_result_json.argtypes = [ctypes.c_void_p]
lib.mlxcompat_result_buffer.restype = ctypes.c_void_p
lib.mlxcompat_result_buffer.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
lib.mlxcompat_result_free.argtypes = [ctypes.c_void_p]

x = (ctypes.c_float * 6)(1, 2, 3, 4, 5, 6)
request = json.dumps({
    "schema_version": 1,
    "inputs": [
        {"id": "x", "dtype": "float32", "shape": [2, 3], "buffer": 0},
        {"id": "two", "dtype": "float32", "shape": [], "data": 2},
        {"id": "one", "dtype": "float32", "shape": [], "data": 1},
    ],
    "nodes": [
        {"id": "a", "op": "multiply", "inputs": ["x", "two"]},
        {"id": "b", "op": "add", "inputs": ["a", "one"]},
        {"id": "y", "op": "sum", "inputs": ["b"], "attrs": {"axes": [1]}},
    ],
    "outputs": ["y"],
}).encode()

print("mlxcompat", lib.mlxcompat_version().decode())
session = lib.mlxcompat_session_new(json.dumps({"backend": backend}).encode(), None)
inputs = (Buffer * 1)(Buffer(ctypes.cast(x, ctypes.c_void_p), ctypes.sizeof(x)))
result = lib.mlxcompat_eval(session, request, len(request), inputs, 1)
response = json.loads(lib.mlxcompat_result_json(result))
print(json.dumps(response))
if response["status"] != "ok":
    sys.exit(1)
size = ctypes.c_size_t()
ptr = lib.mlxcompat_result_buffer(result, 0, ctypes.byref(size))
y = (ctypes.c_float * (size.value // 4)).from_address(ptr)
print("y =", list(y))
lib.mlxcompat_result_free(result)
lib.mlxcompat_session_free(session)
