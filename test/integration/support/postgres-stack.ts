// Read by support/stack.ts when a spec starts its stack: this run's stacks use compose.postgres.yaml.
process.env.STACK_STORE = 'postgres';
