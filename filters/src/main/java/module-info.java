/** Git's long-running filter protocol, and the adapter that hands each request to core's facade. */
module org.gittheta.filter {
    requires org.gittheta.core;

    exports org.gittheta.filter to
            org.gittheta.cli;
}
