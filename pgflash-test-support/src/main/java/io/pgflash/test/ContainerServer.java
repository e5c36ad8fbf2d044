package io.pgflash.test;

import org.testcontainers.postgresql.PostgreSQLContainer;

/** A {@code postgres:<major>} container started through Testcontainers (needs a Docker engine). */
final class ContainerServer implements PostgresServer {

    private final PostgreSQLContainer container;

    private ContainerServer(PostgreSQLContainer container) {
        this.container = container;
    }

    static ContainerServer start(int major) {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:" + major)
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_replication_slots=20",
                        "-c", "max_wal_senders=20", "-c", "fsync=off");
        container.start();
        return new ContainerServer(container);
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/" + database;
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public void close() {
        container.stop();
    }
}
