package org.gittheta.convert;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;

/** Recognising and reading the manifest text among the contents Git hands to clean and smudge. */
final class Manifests {
    /** A manifest is small; content this large that starts like one is not one. */
    static final int MAX_BYTES = 256 << 20;

    private static final int PEEK = 64;

    private Manifests() {}

    /** Whether the content starts with the manifest magic; the stream is left where it was. */
    static boolean startsLikeOne(BufferedInputStream in) throws IOException {
        in.mark(PEEK);
        byte[] head = in.readNBytes(PEEK);
        in.reset();
        return Manifest.looksLike(head, head.length);
    }

    /** The whole content, unchanged, once it has been validated completely as a manifest. */
    static byte[] validBytes(String file, InputStream in) throws IOException {
        byte[] bytes = bytes(file, in);
        parse(file, bytes);
        return bytes;
    }

    /** The whole content, unchecked but bounded to a manifest's size. */
    static byte[] bytes(String file, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        if (bytes.length > MAX_BYTES) {
            throw new ManifestException(
                    file + ": starts like a git-theta manifest but is larger than " + (MAX_BYTES >> 20) + " MiB");
        }
        return bytes;
    }

    /** The content as a manifest, validated completely. */
    static Manifest parse(String file, byte[] bytes) throws ManifestException {
        try {
            return Manifest.parse(bytes);
        } catch (ManifestException e) {
            throw new ManifestException(
                    file + ": starts like a git-theta manifest but is not a valid one: " + e.getMessage());
        }
    }

    /** The exception with its message starting with the file's name, as every message of clean and smudge does. */
    static IOException withPath(String file, IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith(file + ":") ? e : new IOException(file + ": " + m, e);
    }
}
