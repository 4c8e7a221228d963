package org.gittheta.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;

/** The output of every {@code --json} option: indented, and the stream stays open for the caller. */
public final class Json {
    private Json() {}

    public static JsonGenerator to(OutputStream out) throws IOException {
        JsonGenerator g = new JsonFactory().createGenerator(out);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return g.useDefaultPrettyPrinter();
    }
}
