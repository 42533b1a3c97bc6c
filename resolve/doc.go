// Package resolve turns secret mappings into values, as the Amazon ECS
// agent does with a task definition's secrets.
//
// A Mapping names an environment variable and a Ref, the reference its
// value comes from. Mappings are read from text (ParseSecrets: a Copilot
// manifest's secrets map or an ECS list of {name, valueFrom}), from a file
// (ParseFile: either form, a whole Copilot service manifest, or an ECS task
// definition) and from the environment (Inline: NAME=ssm://REF and
// NAME=secretsmanager://REF). Merge joins them and refuses a variable
// mapped to two references.
//
// A Resolver fetches every mapping at once:
//
//   - SSM parameters: names deduplicated, ten to a GetParameters call with
//     decryption, every batch of every region in flight together. Answers
//     are matched back by name, so that an ARN or a selector answered by
//     the bare name, as SSM and its emulators do, finds its request.
//   - Secrets Manager: one GetSecretValue per distinct secret, stage and
//     version, however many JSON keys are taken from it.
//   - The Copilot tag policy, when Resolver.Policy is set: DescribeParameters
//     with name and tag filters, fifty names a call, and DescribeSecret per
//     secret, beside the fetches. A parameter of another account is refused.
//
// Resolve returns one Secret per mapping. When any failed, its error is an
// *Error that lists every failure; no value should then be used. Errors
// carry variables, references, regions and AWS codes, never a value.
//
// The package reaches AWS only through the Clients interface; LoadConfig and
// NewClients build the real one from the SDK's configuration chain, with the
// retry and timeout settings documented on them. Environ builds the command's
// environment. The package never prints, exits or reads the process
// environment itself; only the SDK's configuration loader does.
package resolve
