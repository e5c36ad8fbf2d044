package io.pgflash.test;

/** A server the developer runs: {@code PGFLASH_TEST_JDBC_URL} names any database on it, tests create their own. */
record ExternalServer(String url, String user, String password) implements PostgresServer {

    @Override
    public String jdbcUrl(String database) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int query = url.indexOf('?', Math.max(slash, 0));
        String base = slash < 0 ? url : url.substring(0, slash);
        String parameters = query < 0 ? "" : url.substring(query);
        return base + "/" + database + parameters;
    }

    @Override
    public void close() {
        // not ours to stop
    }
}
