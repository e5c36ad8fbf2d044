package io.pgflash.core.driver;

import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.catalog.Catalog;

/** What the client gives a driver when it starts. */
public record DriverContext(ConnectionFactory connections, Catalog catalog, EventSink sink, PgFlashObserver observer) {
}
