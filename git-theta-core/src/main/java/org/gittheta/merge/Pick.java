package org.gittheta.merge;

/** Takes one side's version as it is: bit-exact, any dtype. */
public record Pick(Side side) implements MergeStrategy {
    @Override
    public String describe() {
        return side.label();
    }
}
