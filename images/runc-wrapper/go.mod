module toolgate.dev/runc-wrapper

go 1.24
