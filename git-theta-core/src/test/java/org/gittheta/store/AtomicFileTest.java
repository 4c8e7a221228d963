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
