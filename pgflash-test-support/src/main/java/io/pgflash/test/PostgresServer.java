package io.pgflash.test;

/** A running PostgreSQL server with {@code wal_level=logical} and a superuser. */
interface PostgresServer extends AutoCloseable {

    String jdbcUrl(String database);

    String user();

    String password();

    @Override
    void close();
}
