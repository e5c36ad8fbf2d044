package io.pgflash.sample;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The sample as a newcomer runs it: no {@code spring.datasource.url}, so on its own embedded PostgreSQL, with the
 * default driver. Test classes with this annotation share one running application.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(classes = SampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sample.embedded.data-dir=target/embedded-postgres", "pgflash.shutdown-timeout=5s"})
@interface EmbeddedSampleApp {
}
