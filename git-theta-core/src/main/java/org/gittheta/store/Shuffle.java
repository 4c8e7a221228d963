package org.gittheta.store;

/** Byte shuffling by element width; a trailing partial element is left in place. */
final class Shuffle {
    private Shuffle() {}

    static byte[] shuffle(byte[] in, int len, int width) {
        byte[] out = new byte[len];
        if (width <= 1) {
            System.arraycopy(in, 0, out, 0, len);
            return out;
        }
        int n = len / width;
        for (int b = 0; b < width; b++) {
            int dst = b * n;
            for (int i = 0, src = b; i < n; i++, src += width) out[dst + i] = in[src];
        }
        System.arraycopy(in, n * width, out, n * width, len - n * width);
        return out;
    }

    static void unshuffle(byte[] in, int len, int width, byte[] out) {
        if (width <= 1) {
            System.arraycopy(in, 0, out, 0, len);
            return;
        }
        int n = len / width;
        for (int b = 0; b < width; b++) {
            int src = b * n;
            for (int i = 0, dst = b; i < n; i++, dst += width) out[dst] = in[src + i];
        }
        System.arraycopy(in, n * width, out, n * width, len - n * width);
    }
}
