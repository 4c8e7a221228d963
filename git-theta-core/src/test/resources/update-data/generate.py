"""Writes the PyTorch (torch.save zip) update-data files UpdateDataTest reads, in git-theta (Python)'s layout.

torch is not needed: the pickle is what torch.save writes (protocol 2, collections.OrderedDict of
torch._utils._rebuild_tensor_v2 calls whose storages are persistent ids ('storage', torch.<T>Storage, key,
'cpu', numel)), made by pickling stand-ins registered under torch's module names; the zip holds
<archive>/data.pkl, .format_version, .storage_alignment, byteorder, data/<key> (64-byte aligned), version.
Values follow small formulas that the test recomputes. Run: python3 generate.py (from this folder).
"""
import collections, io, pickle, struct, sys, types, zipfile

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
FORMATS = {}
for name, fmt, width in [("FloatStorage", "f", 4), ("DoubleStorage", "d", 8), ("IntStorage", "i", 4), ("LongStorage", "q", 8)]:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)
    FORMATS[name] = (cls, fmt, width)


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class Storage:
    def __init__(self, kind, key, values):
        self.kind, self.key, self.values = kind, key, values


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FORMATS[obj.kind][0], obj.key, "cpu", len(obj.values))
        return None


def contiguous(shape):
    stride, step = [], 1
    for d in reversed(shape):
        stride.insert(0, step)
        step *= d
    return stride


def save(path, tensors):
    """tensors: name -> (kind, flat values, shape, stride or None, storage offset)."""
    storages, state = [], collections.OrderedDict()
    for name, (kind, values, shape, stride, offset) in tensors.items():
        s = Storage(kind, str(len(storages)), values)
        storages.append(s)
        state[name] = Tensor(s, offset, shape, stride or contiguous(shape))
    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump(state)
    archive = path.rsplit(".", 1)[0]
    records = [("data.pkl", pkl.getvalue()), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", b"little")]
    for s in storages:
        _, fmt, _ = FORMATS[s.kind]
        records.append(("data/" + s.key, struct.pack("<%d%s" % (len(s.values), fmt), *s.values)))
    records.append(("version", b"3\n"))
    with open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name, data in records:
            info = zipfile.ZipInfo(archive + "/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            header = 30 + len(info.filename.encode())
            pad = (-(f.tell() + header + 4)) % 64
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # torch's "FB" padding field
            z.writestr(info, data)


# fc.weight [4,3] += R @ C, R [4,2] (i + 1) / 4 + k / 2; C [2,3] stored transposed: storage [3,2], j - k / 4
save("low-rank.pt", {
    "fc.weight/R": ("FloatStorage", [(i + 1) / 4 + k / 2 for i in range(4) for k in range(2)], [4, 2], None, 0),
    "fc.weight/C": ("FloatStorage", [j - k / 4 for j in range(3) for k in range(2)], [2, 3], [1, 2], 0),
    # conv.weight [2,2,3] += R @ C with R [2,2,2] (a batch of two) and C [2,3]
    "conv.weight/R": ("FloatStorage", [0.5 * x - 1 for x in range(8)], [2, 2, 2], None, 0),
    "conv.weight/C": ("FloatStorage", [0.125 * x for x in range(6)], [2, 3], None, 0),
})
# fc.weight += CSR (1 x 12): 1.5 at 0, 2 + 0.25 at 5 (a duplicate index, summed), -3 at 11
save("sparse.pt", {
    "fc.weight/data": ("FloatStorage", [1.5, 2.0, 0.25, -3.0], [4], None, 0),
    "fc.weight/indices": ("IntStorage", [0, 5, 5, 11], [4], None, 0),
    "fc.weight/indptr": ("IntStorage", [0, 4], [2], None, 0),
    "fc.weight/shape": ("LongStorage", [4, 3], [2], None, 0),
})
# fc.weight *= ia3 [4,1] (float64, as git-theta's tests make it), read from storage offset 1 of 5 values
save("ia3.pt", {
    "fc.weight/ia3": ("DoubleStorage", [99.0, 0.5, -2.0, 1.25, 3.0], [4, 1], None, 1),
})
# bias [3] = the given tensor
save("dense.pt", {
    "bias": ("DoubleStorage", [0.1, -0.2, 0.3], [3], None, 0),
})
