package io.pgflash.test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real PostgreSQL binaries from Maven Central (zonky), started in a temporary directory that outlives a
 * {@link #restart()} and is removed by {@link #close()}.
 */
final class EmbeddedServer implements PostgresServer {

    private final Map<String, String> config;
    private final Path dataDirectory;
    private EmbeddedPostgres postgres;

    private EmbeddedServer(Map<String, String> config, Path dataDirectory) throws IOException {
        this.config = config;
        this.dataDirectory = dataDirectory;
        this.postgres = builder(0).start();
    }

    private EmbeddedPostgres.Builder builder(int port) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false);
        if (port > 0) {
            builder.setPort(port);
        }
        config.forEach(builder::setServerConfig);
        return builder;
    }

    /** Stops the server (fast shutdown: sessions are ended) and starts it again on the same data and port. */
    synchronized void restart() {
        int port = postgres.getPort();
        try {
            postgres.close();
            postgres = builder(port).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not restart the embedded PostgreSQL server", e);
        }
    }

    static EmbeddedServer start() {
        return start(Map.of());
    }

    /** A server with the test settings, each overridden by {@code overrides}. */
    static EmbeddedServer start(Map<String, String> overrides) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("wal_level", "logical");
        config.put("max_replication_slots", "20");
        config.put("max_wal_senders", "20");
        config.put("max_connections", "200");
        // durability is not under test here; speed is
        config.put("fsync", "off");
        config.put("synchronous_commit", "off");
        config.put("full_page_writes", "off");
        config.putAll(overrides);
        try {
            return new EmbeddedServer(config, Files.createTempDirectory("pgflash-test-postgres"));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL server", e);
        }
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database; // user and password apart
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public synchronized void close() {
        try {
            postgres.close();
            try (Stream<Path> files = Files.walk(dataDirectory)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
