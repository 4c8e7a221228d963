package org.gittheta.repo;

/**
 * Where a parameter object is used: by parameter {@code param} of the checkpoint at {@code path} in {@code where}
 * (a commit id, or the index: {@code index}, {@code index stage 2}, {@code worktree <name> index}).
 */
public record ObjectUse(String where, String path, String param) {
    @Override
    public String toString() {
        return where + ":" + path + " parameter '" + param + "'";
    }
}
