# Files of a Hugging Face training folder that are not plain state dicts, as torch.save writes them (zip, protocol-2
# pickle, data/<key> storages), made without torch: stub modules give the pickler torch's and transformers' globals.
#   training_args.bin  torch.save(TrainingArguments(...)): a pickled Python object (NEWOBJ + BUILD)
#   optimizer.pt       an Adam optimizer's state_dict(): tensors under {'state': {0: {...}}} beside non-tensor values
#                      (int keys, floats, a tuple, a bool, a list) in 'param_groups'
#   scheduler.pt       a learning-rate scheduler's state_dict(): no tensor at all
# Unlike torch, Python's zipfile does not pad storages to 64 bytes; the reader does not need it.
# usage: python3 generate.py   (writes into this folder)
import collections, io, math, os, pickle, struct, sys, types, zipfile

def stub(module, **names):
    m = types.ModuleType(module)
    for name, value in names.items():
        value.__module__, value.__qualname__ = module, name
        setattr(m, name, value)
    sys.modules[module] = m

def _rebuild_tensor_v2(*args): pass
class FloatStorage: pass
class TrainingArguments:
    def __init__(self):
        self.output_dir, self.learning_rate, self.num_train_epochs, self.seed = 'out', 5e-05, 3.0, 42
stub('torch', FloatStorage=FloatStorage)
stub('torch._utils', _rebuild_tensor_v2=_rebuild_tensor_v2)
stub('transformers')
stub('transformers.training_args', TrainingArguments=TrainingArguments)

class Storage:
    def __init__(self, key, values): self.key, self.values = key, values

class Tensor:
    def __init__(self, key, values, shape): self.storage, self.shape = Storage(key, values), tuple(shape)
    def __reduce__(self):
        stride = tuple(math.prod(self.shape[i + 1:]) for i in range(len(self.shape)))
        return (_rebuild_tensor_v2, (self.storage, 0, self.shape, stride, False, collections.OrderedDict()))

def save(name, obj):
    storages = []
    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if not isinstance(o, Storage): return None
            storages.append(o)
            return ('storage', FloatStorage, o.key, 'cpu', len(o.values))
    data = io.BytesIO()
    Pickler(data, protocol=2).dump(obj)
    archive = name.split('.')[0]
    with zipfile.ZipFile(os.path.join(os.path.dirname(__file__) or '.', name), 'w', zipfile.ZIP_STORED) as z:
        for info, content in [('data.pkl', data.getvalue()), ('byteorder', b'little')] + \
                [('data/' + s.key, struct.pack('<%df' % len(s.values), *s.values)) for s in storages] + \
                [('version', b'3\n')]:
            entry = zipfile.ZipInfo(archive + '/' + info, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(entry, content)

save('training_args.bin', TrainingArguments())
save('optimizer.pt', {
    'state': {0: {'step': Tensor('0', [10.0], []),
                  'exp_avg': Tensor('1', [i / 64 for i in range(64)], [8, 8]),
                  'exp_avg_sq': Tensor('2', [i / 4096 for i in range(64)], [8, 8])}},
    'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.0, 'amsgrad': False,
                      'params': [0]}]})
save('scheduler.pt', {'base_lrs': [0.001], 'last_epoch': 3, 'verbose': False, '_step_count': 4})
