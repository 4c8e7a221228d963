/**
 * git-theta's library: formats, object store, manifests, updates, merging, history and transfers behind the
 * {@code org.gittheta.repo.ThetaRepository} facade (docs/api.md). Every package that the facade's signatures reach is
 * exported; {@code text} (escaping for terminals) is for git-theta's own filter and command line only.
 */
module org.gittheta.core {
    requires com.fasterxml.jackson.core;
    requires com.github.luben.zstd_jni;
    requires org.eclipse.jgit;
    requires org.lz4.java;
    requires org.snakeyaml.engine;

    exports org.gittheta.config;
    exports org.gittheta.convert;
    exports org.gittheta.diff;
    exports org.gittheta.format;
    exports org.gittheta.manifest;
    exports org.gittheta.merge;
    exports org.gittheta.progress;
    exports org.gittheta.repo;
    exports org.gittheta.store;
    exports org.gittheta.tensor;
    exports org.gittheta.transfer;
    exports org.gittheta.update;
    exports org.gittheta.text to
            org.gittheta.filter,
            org.gittheta.cli;
}
