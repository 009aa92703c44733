package cmdutil

// SecretAnnotation marks a flag that holds a secret: its value is never
// printed, and given with no value it is prompted for.
const SecretAnnotation = "ctl/secret"
