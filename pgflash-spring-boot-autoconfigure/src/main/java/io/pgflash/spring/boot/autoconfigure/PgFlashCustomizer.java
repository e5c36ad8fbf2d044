package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlash;

/**
 * Tunes the client's builder after the properties are applied, without replacing the {@code PgFlash} bean (for example
 * a setting that has no property, or an observer). Beans of this type are applied in their order.
 */
@FunctionalInterface
public interface PgFlashCustomizer {

    void customize(PgFlash.Builder builder);
}
