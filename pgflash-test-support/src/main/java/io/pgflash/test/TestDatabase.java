package io.pgflash.test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** One database on the shared test server. */
public final class TestDatabase {

    private final TestPostgres server;
    private final String name;

    TestDatabase(TestPostgres server, String name) {
        this.server = server;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    /** A new connection in auto-commit mode; the caller closes it. */
    public Connection connect() {
        try {
            return server.connect(name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not connect to " + jdbcUrl(), e);
        }
    }

    /** Runs each statement in auto-commit mode, on one connection. */
    public void execute(String... sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String each : sql) {
                statement.execute(each);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Statement failed: " + e.getMessage(), e);
        }
    }
}
