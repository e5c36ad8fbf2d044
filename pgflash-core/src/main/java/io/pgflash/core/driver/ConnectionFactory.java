package io.pgflash.core.driver;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;

/**
 * Opens new, unpooled connections. Drivers use one for their dedicated listening or replication session (never a
 * pooled connection: LISTEN and replication need a session of their own) and short-lived ones for set-up work.
 */
@FunctionalInterface
public interface ConnectionFactory {

    Connection open() throws SQLException;

    /** Connections from a JDBC URL with user and password (either may be null to use the URL's). */
    static ConnectionFactory of(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.putIfAbsent("ApplicationName", "pgflash");
        return () -> DriverManager.getConnection(jdbcUrl, properties);
    }
}
