package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/** The dense layout: no base, no params, one section holding the values. */
final class Dense {
    private Dense() {}

    record Encoder(MemorySegment values, int width) implements Encoding {
        @Override
        public UpdateKind kind() {
            return UpdateKind.DENSE;
        }

        @Override
        public ObjectHeader header(DType dtype, Shape shape) {
            return new ObjectHeader(kind().code(), dtype, shape, List.of(), new byte[0]);
        }

        @Override
        public List<Section> sections() {
            return List.of(bulk());
        }

        @Override
        public Section bulk() {
            return Encoding.copy(values, width);
        }
    }

    record Decoder(ObjectFormat.Reader reader) implements Layer {
        @Override
        public void chunk(int c, byte[] out) throws IOException {
            reader.readChunk(0, c, out);
        }
    }
}
