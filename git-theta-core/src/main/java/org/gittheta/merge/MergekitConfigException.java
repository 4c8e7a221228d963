package org.gittheta.merge;

/** A mergekit YAML configuration that git-theta cannot use; the message is one line, {@code file:line: problem}. */
public final class MergekitConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    MergekitConfigException(String file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
    }
}
