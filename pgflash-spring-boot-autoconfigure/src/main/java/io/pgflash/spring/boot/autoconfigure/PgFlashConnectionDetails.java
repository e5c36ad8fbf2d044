package io.pgflash.spring.boot.autoconfigure;

import java.util.function.Supplier;

/**
 * Where pgflash opens its own (unpooled) connections: {@code pgflash.connection.*}, each unset part taken from the
 * application's JDBC connection ({@code spring.datasource.*} or a service connection). The password never appears
 * in {@link #toString()}.
 */
public record PgFlashConnectionDetails(String url, String username, String password) {

    static PgFlashConnectionDetails resolve(PgFlashProperties.Connection own,
            Supplier<org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails> jdbc) {
        org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails fallback =
                own.getUrl() != null && own.getUsername() != null ? null : jdbc.get();
        String url = own.getUrl() != null ? own.getUrl() : fallback == null ? null : fallback.getJdbcUrl();
        String username = own.getUsername() != null ? own.getUsername()
                : fallback == null ? null : fallback.getUsername();
        String password = own.getPassword() != null ? own.getPassword()
                : fallback == null ? null : fallback.getPassword();
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new io.pgflash.core.PgFlashException("pgflash needs a PostgreSQL JDBC URL (jdbc:postgresql://...);"
                    + " got " + url + ". Set spring.datasource.url or pgflash.connection.url");
        }
        return new PgFlashConnectionDetails(url, username, password);
    }

    @Override
    public String toString() {
        return "PgFlashConnectionDetails[url=" + url + ", username=" + username + ", password=******]";
    }
}
