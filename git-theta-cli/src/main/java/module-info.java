/**
 * The {@code git theta} command line: an application, so it exports nothing. picocli fills the commands' annotated
 * fields by reflection, hence the packages are open to it.
 */
module org.gittheta.cli {
    requires com.fasterxml.jackson.core;
    requires info.picocli;
    requires jdk.httpserver; // the AOT training's loopback LFS server (TransferTraining)
    requires org.gittheta.core;
    requires org.gittheta.filter;

    opens org.gittheta.cli to
            info.picocli;
    opens org.gittheta.cli.demo to
            info.picocli;
    opens org.gittheta.cli.history to
            info.picocli;
    opens org.gittheta.cli.merge to
            info.picocli;
    opens org.gittheta.cli.plumbing to
            info.picocli;
    opens org.gittheta.cli.setup to
            info.picocli;
    opens org.gittheta.cli.store to
            info.picocli;
}
