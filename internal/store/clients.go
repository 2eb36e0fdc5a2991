package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/essdir/essdir/internal/essdir"
)

type clientRow struct {
	ID         uuid.UUID `gorm:"column:id;primaryKey"`
	Name       string    `gorm:"column:name"`
	Source     string    `gorm:"column:source"`
	Moderation string    `gorm:"column:moderation"`
	SecretHash []byte    `gorm:"column:secret_hash"`
	Disabled   bool      `gorm:"column:disabled"`
	CreatedAt  time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt  time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (clientRow) TableName() string { return "clients" }

func (r *clientRow) toDomain() *essdir.Client {
	return &essdir.Client{ID: r.ID, Name: r.Name, Source: r.Source, Moderation: essdir.Status(r.Moderation),
		SecretHash: r.SecretHash, Disabled: r.Disabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateClient inserts a client whose secret is already hashed.
func (s *Store) CreateClient(ctx context.Context, cl *essdir.Client) error {
	cl.Normalize()
	if err := cl.Validate(); err != nil {
		return err
	}
	if len(cl.SecretHash) == 0 {
		return essdir.Internal(errNoSecret)
	}
	now := s.now()
	cl.ID, cl.CreatedAt, cl.UpdatedAt = uuid.Must(uuid.NewV7()), now, now
	row := clientRow{ID: cl.ID, Name: cl.Name, Source: cl.Source, Moderation: string(cl.Moderation),
		SecretHash: cl.SecretHash, Disabled: cl.Disabled, CreatedAt: now, UpdatedAt: now}
	return translate(s.db.WithContext(ctx).Create(&row).Error)
}

var errNoSecret = essdir.Errorf(essdir.EINTERNAL, "a client needs a secret hash")

// FindClientByID returns a client.
func (s *Store) FindClientByID(ctx context.Context, id uuid.UUID) (*essdir.Client, error) {
	var row clientRow
	if err := take(s.db.WithContext(ctx).Where("id = ?", id), "client", &row); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

// FindClients returns up to limit clients after the id after, in id
// (creation) order.
func (s *Store) FindClients(ctx context.Context, after uuid.UUID, limit int) ([]*essdir.Client, error) {
	var rows []clientRow
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*essdir.Client, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// UpdateClient applies an admin's change. Disabling a client revokes its
// refresh tokens in the same transaction.
func (s *Store) UpdateClient(ctx context.Context, id uuid.UUID, ch essdir.ClientChange) (*essdir.Client, error) {
	var out *essdir.Client
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var row clientRow
		if err := take(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id), "client", &row); err != nil {
			return err
		}
		cl := row.toDomain()
		if ch.Name != nil {
			cl.Name = *ch.Name
		}
		if ch.Moderation != nil {
			cl.Moderation = *ch.Moderation
		}
		if ch.Disabled != nil {
			cl.Disabled = *ch.Disabled
		}
		cl.Normalize()
		if err := cl.Validate(); err != nil {
			return err
		}
		if cl.Name != row.Name || string(cl.Moderation) != row.Moderation || cl.Disabled != row.Disabled {
			cl.UpdatedAt = s.now()
			err := tx.Model(&clientRow{ID: id}).Select("name", "moderation", "disabled", "updated_at").
				Updates(&clientRow{Name: cl.Name, Moderation: string(cl.Moderation), Disabled: cl.Disabled, UpdatedAt: cl.UpdatedAt}).Error
			if err != nil {
				return err
			}
		}
		out = cl
		if cl.Disabled {
			return revokeSubject(tx, essdir.Subject{Kind: essdir.SubjectClient, ID: id}, s.now())
		}
		return nil
	})
	return out, err
}

// DeleteClient erases a client and its refresh tokens. The records it wrote
// keep their source.
func (s *Store) DeleteClient(ctx context.Context, id uuid.UUID) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&clientRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return essdir.Errorf(essdir.ENOTFOUND, "client not found")
		}
		return tx.Exec("DELETE FROM refresh_tokens WHERE subject_kind = 'client' AND subject_id = ?", id).Error
	})
}
