package io.pgflash.test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real PostgreSQL binaries from Maven Central (zonky), started in a temporary directory. */
final class EmbeddedServer implements PostgresServer {

    private final EmbeddedPostgres postgres;

    private EmbeddedServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
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
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            config.forEach(builder::setServerConfig);
            return new EmbeddedServer(builder.start());
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
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
