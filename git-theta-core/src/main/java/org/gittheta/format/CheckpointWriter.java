package org.gittheta.format;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Writes a checkpoint by interleaving skeleton bytes and tensor bytes — used by smudge and by tests. */
public final class CheckpointWriter {
    private CheckpointWriter() {}

    /** Supplies the bytes of one tensor; must write exactly {@code slot.length()} bytes. */
    @FunctionalInterface
    public interface TensorSource {
        void writeTensor(TensorSlot slot, OutputStream out) throws IOException;
    }

    /**
     * Writes the whole file to {@code out} in file order. Does not close or flush {@code out}.
     * @throws IOException from the stream or the source, or when the source writes a wrong number of bytes
     *     (a wrong-sized tensor would shift every later byte and silently corrupt the file)
     */
    public static void write(CheckpointLayout layout, TensorSource source, OutputStream out) throws IOException {
        walk(layout, new Parts() {
            @Override
            public void skeleton(byte[] skeleton, int from, int length, long position) throws IOException {
                out.write(skeleton, from, length);
            }

            @Override
            public void tensor(TensorSlot slot) throws IOException {
                ExactLengthStream tensorOut = new ExactLengthStream(out, slot);
                source.writeTensor(slot, tensorOut);
                tensorOut.checkComplete();
            }
        });
    }

    /** Writes the skeleton's bytes at their places in {@code file}, leaving the tensors' bytes as they are. */
    public static void writeSkeleton(CheckpointLayout layout, FileChannel file) throws IOException {
        walk(layout, new Parts() {
            @Override
            public void skeleton(byte[] skeleton, int from, int length, long position) throws IOException {
                writeAt(file, skeleton, from, length, position);
            }

            @Override
            public void tensor(TensorSlot slot) {}
        });
    }

    /** Writes {@code bytes[from, from + length)} at {@code position} in {@code file}, all of them. */
    public static void writeAt(FileChannel file, byte[] bytes, int from, int length, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, from, length);
        // a positional write may write fewer bytes than asked
        while (buffer.hasRemaining()) file.write(buffer, position + buffer.position() - from);
    }

    /** A file's parts, in file order. */
    private interface Parts {
        /** Skeleton bytes {@code [from, from + length)}, which go at {@code position} in the file. */
        void skeleton(byte[] skeleton, int from, int length, long position) throws IOException;

        void tensor(TensorSlot slot) throws IOException;
    }

    private static void walk(CheckpointLayout layout, Parts parts) throws IOException {
        byte[] skeleton = layout.skeleton();
        long position = 0;
        int used = 0;
        for (TensorSlot slot : layout.tensors()) {
            int gap = Math.toIntExact(slot.offset() - position);
            parts.skeleton(skeleton, used, gap, position);
            used += gap;
            parts.tensor(slot);
            position = slot.end();
        }
        parts.skeleton(skeleton, used, skeleton.length - used, position);
    }

    /** Passes one tensor's bytes through, refusing more than the slot holds; closing it leaves {@code out} open. */
    private static final class ExactLengthStream extends FilterOutputStream {
        private final TensorSlot slot;
        private long written;

        ExactLengthStream(OutputStream out, TensorSlot slot) {
            super(out);
            this.slot = slot;
        }

        @Override
        public void write(int b) throws IOException {
            admit(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            admit(len);
            out.write(b, off, len);
        }

        @Override
        public void close() {}

        private void admit(long n) throws IOException {
            if (written + n > slot.length()) {
                throw new IOException(
                        "tensor '" + slot.name() + "': source wrote more than its " + slot.length() + " bytes");
            }
            written += n;
        }

        void checkComplete() throws IOException {
            if (written != slot.length()) {
                throw new IOException("tensor '" + slot.name() + "': source wrote " + written + " of its "
                        + slot.length() + " bytes");
            }
        }
    }
}
