package io.pgflash.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The pgflash sample: a small blog whose changes stream live to a web page. Without {@code spring.datasource.url} it
 * runs on an embedded PostgreSQL ({@link EmbeddedPostgresConfiguration}).
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }
}
