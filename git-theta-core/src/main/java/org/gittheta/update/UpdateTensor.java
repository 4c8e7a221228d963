package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;

/**
 * One tensor of an update-data file, read where it lies (a mapped file): element {@code i} in row-major order is
 * storage element {@code offset + Σ index_d · stride_d}, so PyTorch views (strides, storage offsets) need no copy.
 */
record UpdateTensor(String name, DType dtype, Shape shape, MemorySegment storage, long offset, long[] strides) {
    /** A tensor lying contiguously in {@code storage}. */
    static UpdateTensor contiguous(String name, DType dtype, Shape shape, MemorySegment storage) {
        return new UpdateTensor(name, dtype, shape, storage, 0, rowMajor(shape));
    }

    static long[] rowMajor(Shape shape) {
        long[] d = shape.dims(), s = new long[d.length];
        long step = 1;
        for (int i = d.length - 1; i >= 0; i--) {
            s[i] = step;
            step *= d[i];
        }
        return s;
    }

    /** Storage element of row-major element {@code i}. */
    long storageIndex(long i) {
        long[] d = shape.dims();
        long at = offset;
        for (int k = d.length - 1; k >= 0 && i > 0; k--) {
            at += (i % d[k]) * strides[k];
            i /= d[k];
        }
        return at;
    }

    double get(long i) {
        return new TensorView(storage, dtype).get(storageIndex(i));
    }

    /** Every element as a double, for small tensors (factors, indices). */
    double[] toDoubles() {
        TensorView v = new TensorView(storage, dtype);
        double[] out = new double[Math.toIntExact(shape.numel())];
        for (int i = 0; i < out.length; i++) out[i] = v.get(storageIndex(i));
        return out;
    }

    /** Copies element {@code i}'s bytes to {@code out} at byte {@code at}. */
    void copyElement(long i, MemorySegment out, long at) {
        int w = dtype.byteWidth();
        MemorySegment.copy(storage, ValueLayout.JAVA_BYTE, storageIndex(i) * w, out, ValueLayout.JAVA_BYTE, at, w);
    }
}
