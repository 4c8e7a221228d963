package org.gittheta.tensor;

import java.util.Arrays;

/** Dimensions of a tensor; {@code []} is a scalar with one element. Immutable. */
public final class Shape {
    private final long[] dims;
    private final long numel;

    private Shape(long[] dims) {
        this.dims = dims;
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + ": dimension " + i + " is negative");
            }
            try {
                n = Math.multiplyExact(n, dims[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": element count overflows", e);
            }
        }
        this.numel = n;
    }

    public static Shape of(long... dims) {
        return new Shape(dims.clone());
    }

    public static final Shape SCALAR = new Shape(new long[0]);

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    public long[] dims() {
        return dims.clone();
    }

    public long numel() {
        return numel;
    }

    /** Parses the form {@link #toString()} writes: {@code [2,3]}, {@code []}. */
    public static Shape parse(String text) {
        String t = text.strip();
        if (!t.startsWith("[") || !t.endsWith("]"))
            throw new IllegalArgumentException("shape '" + text + "' is not [d,...]");
        String body = t.substring(1, t.length() - 1).strip();
        if (body.isEmpty()) return SCALAR;
        String[] parts = body.split(",");
        long[] d = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                d[i] = Long.parseLong(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape '" + text + "': dimension " + i + " is not a number", e);
            }
        }
        return new Shape(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [4096,4096]}: compact, no spaces, so that it is one token in a manifest line. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) b.append(',');
            b.append(dims[i]);
        }
        return b.append(']').toString();
    }
}
