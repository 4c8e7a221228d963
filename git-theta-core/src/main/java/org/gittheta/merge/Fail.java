package org.gittheta.merge;

/** Leaves a conflict for a parameter changed on both sides. */
public record Fail() implements MergeStrategy {
    @Override
    public String describe() {
        return "fail";
    }
}
