package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void replacesWholeAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("sub/file.txt");
        AtomicFile.replace(target, "old".getBytes(StandardCharsets.UTF_8));
        AtomicFile.replace(
                target,
                out -> out.write("new".getBytes(StandardCharsets.UTF_8)),
                Optional.of(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rwxr-xr-x");
        try (var files = Files.list(target.getParent())) {
            assertThat(files.toList()).containsExactly(target);
        }
    }

    /** A .gitattributes that others read stays readable: not the 0600 of a temporary file. */
    @Test
    void aReplacedFileKeepsItsModeAndANewOneHasTheUmasks() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path created = dir.resolve("created");
        AtomicFile.replace(created, "new".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.getPosixFilePermissions(created)).isEqualTo(Files.getPosixFilePermissions(plain));

        Path shared = dir.resolve("shared");
        Files.writeString(shared, "old");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-rw-r--"));
        AtomicFile.replace(shared, "new".getBytes(StandardCharsets.UTF_8));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)))
                .isEqualTo("rw-rw-r--");
    }

    @Test
    void aCacheEntryIsReplacedWholeAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("values/ab/entry");
        AtomicFile.replaceCacheEntry(target, "old".getBytes(StandardCharsets.UTF_8));
        AtomicFile.replaceCacheEntry(target, "new".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(target)).isEqualTo("new");
        try (var files = Files.list(target.getParent())) {
            assertThat(files.toList()).containsExactly(target);
        }
    }

    @Test
    void aFailedWriteKeepsTheOldFile() throws IOException {
        Path target = dir.resolve("file.txt");
        AtomicFile.replace(target, "old".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> AtomicFile.replace(
                        target,
                        out -> {
                            out.write("half".getBytes(StandardCharsets.UTF_8));
                            throw new IOException("disk full");
                        },
                        Optional.empty()))
                .hasMessage("disk full");
        assertThat(Files.readString(target)).isEqualTo("old");
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).containsExactly(target);
        }
    }

    @Test
    void aFullDiskIsReportedNamingTheFileItWasFor() throws IOException {
        Path target = dir.resolve("values/ab/entry");
        // what the JDK throws for ENOSPC: the system's message alone, no file
        assertThatThrownBy(() -> AtomicFile.replace(
                        target,
                        out -> {
                            throw new IOException("No space left on device");
                        },
                        Optional.empty()))
                .isInstanceOf(DiskFullException.class)
                .hasMessageStartingWith("the disk is full: cannot write " + target);
        try (var files = Files.list(target.getParent())) {
            assertThat(files.toList()).isEmpty();
        }
    }
}
