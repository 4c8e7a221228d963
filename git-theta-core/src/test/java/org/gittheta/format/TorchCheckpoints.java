package org.gittheta.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
