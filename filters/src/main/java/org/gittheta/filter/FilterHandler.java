package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What the filter does with one file. An implementation may read all of {@code content} or stop
 * early (the server drains the rest), and writes the result to {@code out}; closing either stream
 * is allowed and ends nothing early.
 *
 * <p>Git writes the whole request before it reads any reply, so output written before
 * {@code content} has been read to its end is held back until then (in a temporary file beyond
 * 64 KiB). Handlers that produce a lot of output should therefore read their input first, as clean
 * and smudge naturally do: read a checkpoint, write a manifest; read a manifest, write a checkpoint.
 *
 * <p>Throw {@link FilterException} for a failure the user should see; any other exception is
 * treated as a bug and reported with its class.
 */
public interface FilterHandler {
    void clean(String pathname, InputStream content, OutputStream out) throws IOException;

    void smudge(String pathname, InputStream content, OutputStream out) throws IOException;
}
