package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.driver.wal.WalDriver;

/**
 * Tunes the WAL driver's builder after the properties are applied, without replacing the driver bean. Beans of this
 * type are applied in their order when {@code pgflash.driver=wal}.
 */
@FunctionalInterface
public interface WalDriverCustomizer {

    void customize(WalDriver.Builder builder);
}
