package org.gittheta.merge;

import java.io.IOException;

/**
 * A merge option that does not fit the models being merged (a list of values for another number of models, weights
 * summing to 0); the message names the checkpoint, the parameter and the strategy.
 */
public final class MergeOptionException extends IOException {
    MergeOptionException(String message) {
        super(message);
    }
}
