package org.gittheta.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.gittheta.testdata.TorchZipWriter;

/** The reference torch checkpoints in test resources, and small torch-like zips built by the JDK's zip writer. */
final class TorchCheckpoints {
    static final String MIXED = "torch-zip-mixed.pt";
    static final String MODEL = "pytorch_model.bin";
    static final String MODEL_FT = "pytorch_model-ft.bin";
    static final String LEGACY = "torch-legacy.pt";
    static final String MALICIOUS = "torch-malicious.pt";

    private TorchCheckpoints() {}

    static byte[] resource(String name) {
        try (InputStream in = TorchCheckpoints.class.getResourceAsStream("/testdata/" + name)) {
            if (in == null) throw new IllegalArgumentException("no test resource " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CheckpointLayout read(String file, byte[] bytes) throws BadCheckpointException {
        return TorchZipFormat.INSTANCE.read(file, MemorySegment.ofArray(bytes));
    }

    /** The entries of a zip, in order, as the JDK reads them. */
    static Map<String, byte[]> entries(byte[] zip) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try {
            Path file = Files.createTempFile("torch", ".zip");
            try (ZipFile in = new ZipFile(Files.write(file, zip).toFile())) {
                for (ZipEntry e : Collections.list(in.entries())) {
                    entries.put(e.getName(), in.getInputStream(e).readAllBytes());
                }
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** A zip of stored entries (no data descriptors, no zip64 records), as the JDK writes it. */
    static byte[] storedZip(Map<String, byte[]> entries) {
        return jdkZip(entries, true);
    }

    /** A zip of deflated entries, as the JDK writes it by default. */
    static byte[] deflatedZip(Map<String, byte[]> entries) {
        return jdkZip(entries, false);
    }

    private static byte[] jdkZip(Map<String, byte[]> entries, boolean stored) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                if (stored) {
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setCrc(crc.getValue());
                }
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * A zip the way miniz (PyTorch's writer) lays out entries past 4 GiB, for every entry: data descriptors with
     * 64-bit sizes, sizes and offsets in zip64 extra fields, zip64 end records, and an archive comment.
     */
    static byte[] zip64Zip(Map<String, byte[]> entries) {
        ByteBuffer out = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer directory = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            long offset = out.position();
            TorchZipWriter.localHeader(out, 45, name, 20)
                    .putShort((short) 1)
                    .putShort((short) 16)
                    .putLong(0)
                    .putLong(0)
                    .put(data)
                    .putInt(0x08074b50)
                    .putInt((int) crc.getValue())
                    .putLong(data.length)
                    .putLong(data.length);
            TorchZipWriter.centralRecord(directory, 45, crc.getValue(), -1, name, 28, -1)
                    .putShort((short) 1)
                    .putShort((short) 24)
                    .putLong(data.length)
                    .putLong(data.length)
                    .putLong(offset);
        }
        long directoryOffset = out.position();
        out.put(directory.flip());
        long end64 = out.position();
        out.putInt(0x06064b50)
                .putLong(44)
                .putShort((short) 45)
                .putShort((short) 45)
                .putInt(0)
                .putInt(0)
                .putLong(entries.size())
                .putLong(entries.size())
                .putLong(end64 - directoryOffset)
                .putLong(directoryOffset)
                .putInt(0x07064b50)
                .putInt(0)
                .putLong(end64)
                .putInt(1)
                .putInt(0x06054b50)
                .putShort((short) -1)
                .putShort((short) -1)
                .putShort((short) -1)
                .putShort((short) -1)
                .putInt(-1)
                .putInt(-1)
                .putShort((short) 2)
                .put((byte) 'h')
                .put((byte) 'i');
        return Arrays.copyOf(out.array(), out.position());
    }
}
