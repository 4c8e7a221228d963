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

    record Index() implements Version {
        @Override
        public String toString() {
            return "index";
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
