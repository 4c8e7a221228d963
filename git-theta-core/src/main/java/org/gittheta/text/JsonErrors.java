package org.gittheta.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/** What is wrong with malformed JSON from a file, in words a user can act on. */
public final class JsonErrors {
    /**
     * A location Jackson writes into its own message (where an object or array began), with a description of the
     * source that says nothing to a user ("REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)").
     */
    private static final Pattern LOCATION = Pattern.compile("\\[Source: .*?; line: (\\d+), column: (\\d+)]");

    private JsonErrors() {}

    /** Jackson's message for {@code e}, its locations given as line and column only. */
    public static String message(JsonProcessingException e) {
        return LOCATION.matcher(String.valueOf(e.getOriginalMessage())).replaceAll("line $1 column $2");
    }
}
