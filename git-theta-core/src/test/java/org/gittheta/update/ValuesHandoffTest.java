package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Values a merge leaves for the checkout after it: copied instead of decoded, taken once, checked before use. */
class ValuesHandoffTest {
    // 2.5 MiB of bf16: three chunks, the last one partial
    private static final Shape BIG = Shape.of(1280, 1024);

    @Test
    void valuesLeftAreCopiedWithoutTheStoreAndTheFileIsTakenOnce() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v = UpdateFixture.randomValues(DType.BF16, BIG.numel(), new SplittableRandom(21));
            ParamEntry e = f.encode(UpdateOptions.auto(), "w", DType.BF16, BIG, v, Optional.empty());
            ValuesHandoff handoff = ValuesHandoff.of(f.store);
            assertThat(handoff.hasRoomFor(v.length)).isTrue();
            handoff.leave(e.sha256(), MemorySegment.ofArray(v));
            assertThat(names(handoff)).containsExactly(e.sha256());
            // the object is gone: only the values left can give the parameter
            byte[] object = Files.readAllBytes(f.store.pathOf(e.object().id()));
            Files.delete(f.store.pathOf(e.object().id()));

            assertThat(readAll(f, e)).isEqualTo(v);
            assertThat(names(handoff)).isEmpty();

            Files.write(f.store.pathOf(e.object().id()), object);
            assertThat(readAll(f, e)).isEqualTo(v); // decoded, as always
        }
    }

    /** A torn or damaged file, or one of another version of the format, is removed and the store decodes. */
    @ParameterizedTest
    @ValueSource(strings = {"value flipped", "truncated", "version", "length"})
    void aFileThatDoesNotCheckIsRemovedAndTheValuesDecoded(String damage) throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v = UpdateFixture.randomValues(DType.BF16, BIG.numel(), new SplittableRandom(22));
            ParamEntry e = f.encode(UpdateOptions.auto(), "w", DType.BF16, BIG, v, Optional.empty());
            ValuesHandoff handoff = ValuesHandoff.of(f.store);
            handoff.leave(e.sha256(), MemorySegment.ofArray(v));
            Path file = handoff.dir().resolve(e.sha256());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                switch (damage) {
                    case "value flipped" -> flip(ch, 16 + v.length / 2);
                    case "truncated" -> ch.truncate(ch.size() - 1000);
                    case "version" -> flip(ch, 7);
                    default -> flip(ch, 15);
                }
            }
            assertThat(readAll(f, e)).isEqualTo(v);
            assertThat(names(handoff)).isEmpty();
        }
    }

    @Test
    void nothingIsLeftWhereTheDirectoryCannotBeMade() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            ValuesHandoff handoff = ValuesHandoff.of(f.store);
            Files.createDirectories(handoff.dir().getParent());
            Files.writeString(handoff.dir(), "a file where the directory would be");
            byte[] v = UpdateFixture.randomValues(DType.BF16, BIG.numel(), new SplittableRandom(23));
            ParamEntry e = f.encode(UpdateOptions.auto(), "w", DType.BF16, BIG, v, Optional.empty());

            assertThat(handoff.hasRoomFor(v.length)).isFalse();
            handoff.leave(e.sha256(), MemorySegment.ofArray(v)); // does not throw: the shortcut is lost, no more
            assertThat(readAll(f, e)).isEqualTo(v);
        }
    }

    private static void flip(FileChannel ch, long at) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.read(one, at);
        one.flip().put(0, (byte) (one.get(0) ^ 0x10));
        ch.write(one, at);
    }

    private static List<String> names(ValuesHandoff handoff) throws IOException {
        if (!Files.isDirectory(handoff.dir())) return List.of();
        try (Stream<Path> s = Files.list(handoff.dir())) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static byte[] readAll(UpdateFixture f, ParamEntry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ValuesPipeline values = ValuesPipeline.open(f.store, List.of(e))) {
            for (var c = values.next(); c != null; c = values.next()) {
                out.write(c.data(), 0, c.length());
                values.recycle(c);
            }
        }
        return out.toByteArray();
    }
}
