package org.gittheta.repo;

/** A version of a path: at a revision, staged in the index, in the working tree, or none at all. */
public sealed interface Version {
    /** At a commit: a revision as git reads it ({@code HEAD~2}, a branch, a commit id). */
    record Rev(String rev) implements Version {
        @Override
        public String toString() {
            return rev;
        }
    }

    /**
     * Staged: stage 0, or during a conflict one of its sides as git numbers them ({@code :1:} the base, {@code :2:}
     * ours, {@code :3:} theirs).
     */
    record Index(int stage) implements Version {
        public Index {
            if (stage < 0 || stage > 3) throw new IllegalArgumentException("index stage " + stage);
        }

        public Index() {
            this(0);
        }

        @Override
        public String toString() {
            return stage == 0 ? "index" : "index stage " + stage;
        }
    }

    record WorkTree() implements Version {
        @Override
        public String toString() {
            return "working tree";
        }
    }

    /** The path absent (the side before a commit that added it). */
    record None() implements Version {
        @Override
        public String toString() {
            return "nothing";
        }
    }
}
